/**
 * The image names a `docker save` archive would create on `docker load`,
 * read without loading anything: `hm cache restore` checks every one before
 * the engine sees the file. Tags come from every place an engine reads them:
 * `manifest.json` (`RepoTags`), the legacy `repositories` file, and an OCI
 * `index.json` (`io.containerd.image.name` / `org.opencontainers.image.ref.name`
 * annotations). Only a regular file is read (never a device, a FIFO or a
 * symlink to one), header by header, seeking over layer contents.
 */
import { closeSync, fstatSync, lstatSync, openSync, readSync } from "node:fs";

const BLOCK = 512;
/** Metadata files are small; anything larger is not an archive hm wrote. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;
const METADATA = new Set(["manifest.json", "repositories", "index.json"]);

export interface ArchiveNames {
  /** Every image name the archive tags, normalised (`docker.io/library/` dropped). */
  readonly tags: string[];
  /** Images in the archive with no name at all. */
  readonly untagged: number;
}

export class ArchiveError extends Error {}

export function archiveNames(path: string): ArchiveNames {
  const kind = lstatSync(path);
  if (!kind.isFile()) throw new ArchiveError("not a regular file");
  const fd = openSync(path, "r");
  try {
    if (!fstatSync(fd).isFile()) throw new ArchiveError("not a regular file");
    return namesOf(readMetadata(fd, fstatSync(fd).size));
  } finally {
    closeSync(fd);
  }
}

function readMetadata(fd: number, fileSize: number): Map<string, string> {
  const found = new Map<string, string>();
  const header = new Uint8Array(BLOCK);
  let offset = 0;
  let paxPath: string | null = null;
  while (offset + BLOCK <= fileSize) {
    if (readSync(fd, header, 0, BLOCK, offset) !== BLOCK) throw new ArchiveError("truncated tar header");
    if (header.every((b) => b === 0)) break;
    const size = sizeOf(header);
    const type = String.fromCharCode(header[156] ?? 0);
    const rawName = paxPath ?? headerName(header);
    const name = rawName.replace(/^\.\//, "");
    paxPath = null;
    const dataAt = offset + BLOCK;
    if (dataAt + size > fileSize) throw new ArchiveError(`truncated entry '${name}'`);
    if (type === "x") paxPath = paxPathOf(readBytes(fd, dataAt, size));
    else if ((type === "0" || type === "\0") && METADATA.has(name)) {
      if (size > MAX_METADATA_BYTES) throw new ArchiveError(`'${name}' is ${size} bytes`);
      found.set(name, new TextDecoder().decode(readBytes(fd, dataAt, size)));
    }
    offset = dataAt + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (!found.has("manifest.json") && !found.has("index.json"))
    throw new ArchiveError("no manifest.json or index.json: not a docker save archive");
  return found;
}

function readBytes(fd: number, at: number, size: number): Uint8Array {
  if (size > MAX_METADATA_BYTES) throw new ArchiveError(`a ${size}-byte header entry`);
  const bytes = new Uint8Array(size);
  if (readSync(fd, bytes, 0, size, at) !== size) throw new ArchiveError("truncated tar entry");
  return bytes;
}

function headerName(header: Uint8Array): string {
  const text = (from: number, width: number) =>
    new TextDecoder().decode(header.subarray(from, from + width)).replace(/\0.*$/s, "");
  const prefix = text(345, 155);
  const name = text(0, 100);
  return prefix === "" ? name : `${prefix}/${name}`;
}

/** Octal, or base-256 (GNU) for sizes past 8 GiB. */
function sizeOf(header: Uint8Array): number {
  const field = header.subarray(124, 136);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    return value;
  }
  const text = new TextDecoder().decode(field).replace(/\0.*$/s, "").trim();
  const size = text === "" ? 0 : Number.parseInt(text, 8);
  if (!Number.isSafeInteger(size) || size < 0) throw new ArchiveError("bad tar entry size");
  return size;
}

function paxPathOf(bytes: Uint8Array): string | null {
  for (const record of new TextDecoder().decode(bytes).split("\n")) {
    const match = /^\d+ path=(.*)$/s.exec(record);
    if (match !== null) return match[1] ?? null;
  }
  return null;
}

function namesOf(files: Map<string, string>): ArchiveNames {
  const tags = new Set<string>();
  let untagged = 0;
  const json = (name: string): unknown => {
    const text = files.get(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new ArchiveError(`${name} is not valid JSON`);
    }
  };
  const manifest = json("manifest.json");
  if (manifest !== undefined) {
    if (!Array.isArray(manifest)) throw new ArchiveError("manifest.json is not a list");
    for (const image of manifest as { RepoTags?: unknown }[]) {
      const repoTags = Array.isArray(image?.RepoTags) ? image.RepoTags : [];
      if (repoTags.length === 0) untagged++;
      for (const tag of repoTags) tags.add(normalise(String(tag)));
    }
  }
  const repositories = json("repositories");
  if (repositories !== null && typeof repositories === "object")
    for (const [repo, byTag] of Object.entries(repositories as Record<string, unknown>))
      if (byTag !== null && typeof byTag === "object")
        for (const tag of Object.keys(byTag)) tags.add(normalise(`${repo}:${tag}`));
  const index = json("index.json") as { manifests?: { annotations?: Record<string, string> }[] } | undefined;
  for (const entry of index?.manifests ?? []) {
    const annotations = entry?.annotations ?? {};
    const full = annotations["io.containerd.image.name"];
    const ref = annotations["org.opencontainers.image.ref.name"];
    if (full !== undefined) tags.add(normalise(full));
    // A bare ref name (no repository) names nothing by itself; one with a repository is a tag.
    else if (ref?.includes(":")) tags.add(normalise(ref));
  }
  return { tags: [...tags].sort(), untagged };
}

/** `docker.io/library/x:1` and `docker.io/x:1` as the engine shows them: `x:1`. */
function normalise(tag: string): string {
  return tag.replace(/^docker\.io\/library\//, "").replace(/^docker\.io\//, "");
}
