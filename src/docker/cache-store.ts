/**
 * `hm cache ls|save|restore|clean`: the step-cache images of one project
 * (`hm-cache/<project id>/<step>:<entry>`, `docs/design.md` "The step
 * cache"), or of every project on the engine with `--all`.
 *
 * A saved directory holds one `docker save` archive of all the scope's images
 * (shared layers stored once), `images-<hash>.tar`, and `manifest.json` =
 * `{"version":2,"archive":…,"images":{"<tag>":"<image id>"}}`, tags sorted: the
 * same images always give the same files and the same printed hash, so a CI
 * cache keyed by it is stable. Files are written under a temporary name and
 * renamed into place. `restore` checks every name the archive would create
 * before the engine sees it. Version 1 directories (one tar per tag, no
 * project) are recognised and refused with what to do.
 */
import { createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import * as v from "valibot";
import { HmError, messageOf } from "../errors.ts";
import { removeIfInterrupted } from "../interrupt-cleanup.ts";
import { processAlive } from "../process-alive.ts";
import type { Engine } from "./engine.ts";
import { ArchiveError, archiveNames } from "./image-archive.ts";
import { CACHE_REPOSITORY, LABEL_CACHE_KEY, LABEL_PROJECT_ROOT, parseCacheTag } from "./names.ts";
import { removeWorkspaceImages } from "./workspace-image.ts";

const MANIFEST = "manifest.json";
const RESAVE = "remove the directory, or run hm cache save into it again";
const PREFIX = `${CACHE_REPOSITORY}/`;

/** One project (by identity), or every project on the engine (`--all`). */
export type CacheScope = { readonly kind: "project"; readonly id: string } | { readonly kind: "all" };

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;
const ManifestSchema = v.object({
  version: v.literal(2),
  archive: v.nullable(v.pipe(v.string(), v.regex(/^images-[0-9a-f]{16}\.tar$/, "not images-<hash>.tar"))),
  images: v.record(
    v.pipe(
      v.string(),
      v.check((tag) => parseCacheTag(tag) !== null, "not a hm-cache/<project>/<step>:<entry> tag"),
    ),
    v.pipe(v.string(), v.regex(IMAGE_ID, "not an image id (sha256:…)")),
  ),
});
export type CacheManifest = v.InferOutput<typeof ManifestSchema>;

export interface CacheImage {
  readonly tag: string;
  readonly id: string;
  readonly size: number;
  readonly created: number;
  /** Null for an earlier hm's image (`hm-cache/<step>:<key>`), which belongs to no project. */
  readonly projectId: string | null;
  readonly projectRoot: string | null;
  readonly step: string;
  /** The SDK's cache key it was made under, when the image says. */
  readonly cacheKey: string | null;
  /** Seconds since the epoch: when a run last hit or made it. */
  readonly lastUsed: number;
}

/** Every cache image of the scope; with `--all`, an earlier hm's project-less images too. */
export async function cacheImages(engine: Engine, scope: CacheScope): Promise<CacheImage[]> {
  const images: CacheImage[] = [];
  for (const image of await engine.listImages()) {
    for (const tag of image.RepoTags ?? []) {
      if (!tag.startsWith(PREFIX)) continue;
      const parsed = parseCacheTag(tag);
      if (scope.kind === "project" && parsed?.projectId !== scope.id) continue;
      const labels = image.Labels ?? {};
      images.push({
        tag,
        id: image.Id,
        size: image.Size,
        created: image.Created,
        projectId: parsed?.projectId ?? null,
        projectRoot: labels[LABEL_PROJECT_ROOT] ?? null,
        step: parsed?.step ?? tag.slice(PREFIX.length).split(":")[0] ?? tag,
        cacheKey: labels[LABEL_CACHE_KEY] || null,
        lastUsed: await lastUsed(engine, tag, image.Created),
      });
    }
  }
  return images.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

/** The engine's last tag time (hm re-tags an entry on every hit), else the creation time. */
async function lastUsed(engine: Engine, tag: string, created: number): Promise<number> {
  try {
    const info = (await engine.getImage(tag).inspect()) as { Metadata?: { LastTagTime?: string } };
    const tagged = Date.parse(info.Metadata?.LastTagTime ?? "");
    return Number.isFinite(tagged) && tagged > 0 ? Math.max(created, Math.floor(tagged / 1000)) : created;
  } catch {
    return created;
  }
}

/** The manifest as written: compact JSON, tags sorted. */
export function manifestJson(manifest: CacheManifest): string {
  const images = Object.fromEntries(Object.entries(manifest.images).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify({ version: manifest.version, archive: manifest.archive, images });
}

function digest16(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** First 8 bytes of SHA-256 of the manifest, as 16 hex digits: a cache key for CI systems. */
export function manifestHash(manifest: CacheManifest): string {
  return digest16(manifestJson(manifest));
}

type ReadManifest =
  | { kind: "none" }
  | { kind: "legacy"; images: number }
  | { kind: "current"; manifest: CacheManifest };

function readManifest(dir: string): ReadManifest {
  const path = join(dir, MANIFEST);
  let kind: ReturnType<typeof lstatSync>;
  try {
    kind = lstatSync(path);
  } catch {
    return { kind: "none" };
  }
  if (!kind.isFile()) throw new HmError("E_USAGE", `${path}: not a regular file`, { hint: RESAVE });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new HmError("E_USAGE", `${path}: not valid JSON (${messageOf(error)})`, { hint: RESAVE });
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (version === 1) {
    const images = (parsed as { images?: unknown }).images;
    return {
      kind: "legacy",
      images: images !== null && typeof images === "object" ? Object.keys(images).length : 0,
    };
  }
  const result = v.safeParse(ManifestSchema, parsed);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue.path?.map((p) => String(p.key)).join(".") ?? "(root)";
    throw new HmError("E_USAGE", `${path}: ${where}: ${issue.message}`, { hint: RESAVE });
  }
  return { kind: "current", manifest: result.output };
}

/** Writes `path` atomically: to a temporary sibling first, renamed on success, removed on failure or Ctrl-C. */
async function writeAtomically(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${path}.${process.pid}.partial`;
  const done = removeIfInterrupted(tmp);
  try {
    await write(tmp);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  } finally {
    done();
  }
}

/** Temporary files a save killed mid-write left (their writer's pid is gone). */
function removeAbandonedPartials(dir: string): void {
  for (const file of readdirSync(dir)) {
    const pid = /\.(\d+)\.partial$/.exec(file)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    rmSync(join(dir, file), { force: true });
  }
}

/** `dir` as a cache directory (created for a save), or a usage error saying why it cannot be one. */
function cacheDirectory(dir: string, create: boolean): void {
  try {
    if (create) mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
  } catch (error) {
    throw new HmError("E_USAGE", `cannot use ${dir} as a cache directory: ${messageOf(error)}`, {
      hint: "give a directory path (it is created when missing)",
    });
  }
}

export interface SaveResult {
  hash: string;
  images: number;
  /** The archive was written now (false: the directory already held these exact images). */
  written: boolean;
  archiveBytes: number;
  removed: string[];
}

/** Exports the scope's cache images into one archive in `dir` (unless it already holds them), writes the manifest, drops other tars. */
export async function saveCache(engine: Engine, dir: string, scope: CacheScope): Promise<SaveResult> {
  cacheDirectory(dir, true);
  removeAbandonedPartials(dir);
  const images = await cacheImages(engine, scope);
  const saved = images.filter((image) => image.projectId !== null);
  const entries = Object.fromEntries(saved.map((image) => [image.tag, image.id]));
  const contentHash = digest16(JSON.stringify(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1))));
  const manifest: CacheManifest = {
    version: 2,
    archive: saved.length === 0 ? null : `images-${contentHash}.tar`,
    images: entries,
  };
  const result: SaveResult = { hash: "", images: saved.length, written: false, archiveBytes: 0, removed: [] };
  if (manifest.archive !== null) {
    const path = join(dir, manifest.archive);
    if (!isRegularFile(path)) {
      await writeAtomically(path, async (tmp) => {
        const stream = await exportImages(
          engine,
          saved.map((image) => image.tag),
        );
        await pipeline(stream, createWriteStream(tmp));
      });
      result.written = true;
    }
    result.archiveBytes = statSync(path).size;
  }
  for (const file of readdirSync(dir)) {
    if (file.endsWith(".tar") && file !== manifest.archive) {
      rmSync(join(dir, file), { force: true });
      result.removed.push(file);
    }
  }
  await writeAtomically(join(dir, MANIFEST), async (tmp) => {
    await Bun.write(tmp, `${manifestJson(manifest)}\n`);
  });
  result.hash = manifestHash(manifest);
  return result;
}

/** One `docker save` of several images (`GET /images/get?names=…`): shared layers are written once. */
function exportImages(engine: Engine, names: string[]): Promise<NodeJS.ReadableStream> {
  // dockerode has getImages, its type declarations do not.
  const withGetImages = engine as unknown as {
    getImages(options: { names: string[] }): Promise<NodeJS.ReadableStream>;
  };
  return withGetImages.getImages({ names });
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

export type RestoreResult =
  | { kind: "missing_dir" }
  | { kind: "empty" }
  | { kind: "legacy"; images: number }
  | { kind: "restored"; total: number; loaded: number; present: number };

/**
 * Loads the images of `dir` the engine lacks, after checking that every name
 * the archive would create is a cache tag of the scope (of the manifest too).
 * Nothing is loaded when one is not.
 */
export async function restoreCache(engine: Engine, dir: string, scope: CacheScope): Promise<RestoreResult> {
  try {
    lstatSync(dir);
  } catch {
    return { kind: "missing_dir" };
  }
  cacheDirectory(dir, false);
  const read = readManifest(dir);
  if (read.kind === "legacy") return { kind: "legacy", images: read.images };
  if (read.kind === "none") {
    const tars = readdirSync(dir).filter((f) => f.endsWith(".tar"));
    if (tars.length === 0) return { kind: "empty" };
    throw new HmError("E_USAGE", `${dir} holds ${tars.length} tar files but no ${MANIFEST}`, {
      hint: "restore reads directories written by hm cache save; run hm cache save into it again",
    });
  }
  const { manifest } = read;
  const tags = Object.keys(manifest.images).sort();
  for (const tag of tags) refuseOutsideScope(tag, scope, join(dir, MANIFEST));
  if (manifest.archive === null || tags.length === 0)
    return { kind: "restored", total: 0, loaded: 0, present: 0 };
  const path = join(dir, manifest.archive);
  let names: ReturnType<typeof archiveNames>;
  try {
    names = archiveNames(path);
  } catch (error) {
    const why = error instanceof ArchiveError ? error.message : messageOf(error);
    throw new HmError("E_USAGE", `cannot restore from ${path}: ${why}`, { hint: RESAVE });
  }
  for (const tag of names.tags) refuseOutsideScope(tag, scope, path);
  if (names.untagged > 0)
    throw new HmError(
      "E_USAGE",
      `${path} holds ${names.untagged} images without a name; nothing was loaded`,
      {
        hint: RESAVE,
      },
    );
  const inArchive = new Set(names.tags);
  for (const tag of tags)
    if (!inArchive.has(tag))
      throw new HmError(
        "E_USAGE",
        `${path} does not hold ${tag} (the manifest says it does); nothing was loaded`,
        {
          hint: RESAVE,
        },
      );
  for (const tag of names.tags)
    if (manifest.images[tag] === undefined)
      throw new HmError(
        "E_USAGE",
        `${path} holds ${tag}, which ${MANIFEST} does not list; nothing was loaded`,
        {
          hint: RESAVE,
        },
      );

  const missing: string[] = [];
  for (const tag of tags) if ((await imageId(engine, tag)) !== manifest.images[tag]) missing.push(tag);
  if (missing.length > 0) {
    await loadImages(engine, path);
    for (const tag of missing) {
      const loaded = await imageId(engine, tag);
      if (loaded !== manifest.images[tag])
        throw new HmError(
          "E_USAGE",
          `${path}: ${tag} loaded as ${loaded ?? "nothing"}, not ${manifest.images[tag]}`,
          {
            hint: RESAVE,
          },
        );
    }
  }
  return {
    kind: "restored",
    total: tags.length,
    loaded: missing.length,
    present: tags.length - missing.length,
  };
}

function refuseOutsideScope(tag: string, scope: CacheScope, where: string): void {
  const parsed = parseCacheTag(tag);
  if (parsed === null)
    throw new HmError(
      "E_USAGE",
      `${where} would create the image '${tag}', which is not a step-cache image; nothing was loaded`,
      {
        hint: "hm cache restore only loads hm-cache/<project>/<step>:<entry> images: use a directory written by hm cache save",
      },
    );
  if (scope.kind === "project" && parsed.projectId !== scope.id)
    throw new HmError(
      "E_USAGE",
      `${where} holds '${tag}', a cache image of another project (${parsed.projectId}, this one is ${scope.id}); nothing was loaded`,
      {
        hint: "restore it from that project's directory (or -d), or pass --all to restore every project's images",
      },
    );
}

async function imageId(engine: Engine, tag: string): Promise<string | null> {
  try {
    return (await engine.getImage(tag).inspect()).Id;
  } catch {
    return null;
  }
}

async function loadImages(engine: Engine, path: string): Promise<void> {
  const stream = await engine.loadImage(createReadStream(path), { quiet: true });
  await new Promise<void>((resolve, reject) => {
    engine.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
      const failed = error?.message ?? output.find((o) => o.error !== undefined)?.error;
      if (failed === undefined) resolve();
      else reject(new HmError("E_USAGE", `cannot load ${path}: ${failed}`, { hint: RESAVE }));
    });
  });
}

export interface CleanResult {
  images: number;
  /** Workspace images of the scope's projects (`hm-workspace/<project>:…`) removed with them. */
  workspaces: number;
  bytes: number;
}

/** Removes the scope's cache images (those unused for more than `olderThanDays` only, when given). */
export async function cleanCache(
  engine: Engine,
  scope: CacheScope,
  olderThanDays?: number,
): Promise<CleanResult> {
  const doomed = selectUnused(await cacheImages(engine, scope), olderThanDays, Date.now() / 1000);
  const sizes = new Map<string, number>();
  for (const image of doomed) {
    await engine.getImage(image.tag).remove();
    sizes.set(image.id, image.size);
  }
  const cutoff =
    olderThanDays === undefined ? Number.POSITIVE_INFINITY : Date.now() / 1000 - olderThanDays * 86_400;
  const workspaces = await removeWorkspaceImages(engine, scope.kind === "project" ? scope.id : null, cutoff);
  let bytes = workspaces.bytes;
  for (const size of sizes.values()) bytes += size;
  return { images: doomed.length, workspaces: workspaces.count, bytes };
}

/** The images last used before `now - olderThanDays` (all of them without a limit). */
export function selectUnused(
  images: readonly CacheImage[],
  olderThanDays: number | undefined,
  now: number,
): CacheImage[] {
  const cutoff = olderThanDays === undefined ? Number.POSITIVE_INFINITY : now - olderThanDays * 86_400;
  return images.filter((image) => image.lastUsed < cutoff);
}
