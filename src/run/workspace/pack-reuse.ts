/**
 * The last archive of a project, kept to make the next pack cheap
 * (`docs/design.md`, "Reusing the last archive"): `<state>/packs/<key>/`
 * holds `archive.tar` (read-only, a hard link of the run's archive) and
 * its index (`index`: one file, so that it is replaced at once), which names that archive's inode and records, per entry,
 * what its tar header holds and, per regular file, the stat fields that tell
 * an unchanged file (device, inode, size, mtime, ctime) and where its content
 * starts in the archive. A runner may keep what it derives from the archive's
 * bytes in `memo` (`archiveMemoPath`).
 *
 * A file is taken from the last archive only when every one of those fields
 * is the same and its ctime was at least `RACY_MS` older than the pack that
 * recorded it: a write bumps ctime (no tool can set it back), but the kernel's
 * clock is coarse, so a file written again in the same tick as the recorded
 * state could look unchanged; a file that old when recorded cannot (git's
 * "racily clean" rule, with a margin that covers 2-second file systems).
 * When every entry is the same, the last archive itself is the new one.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { writeFileAtomically } from "../../atomic-file.ts";
import { projectKey } from "../project-key.ts";

/** Bump when the tar writer's headers change: an older archive's bytes would then differ. */
const FORMAT = 1;
const RACY_MS = 2_000;
/** `hm gc` removes a kept archive no pack used for this long (or whose project is gone). */
export const KEPT_ARCHIVE_MAX_AGE_MS = 14 * 24 * 3600 * 1000;

/** An entry as the walk found it (lstat fields for a symlink or directory, fstat for a file read). */
export interface PackedEntry {
  readonly path: string;
  readonly kind: "d" | "f" | "l";
  readonly mode: number;
  readonly mtimeMs: number;
  /** Files only (0 otherwise). */
  readonly size: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly dev: number;
  /** Symlinks only ("" otherwise). */
  readonly target: string;
}

/**
 * `index`: a 4-byte little-endian length, that many bytes of JSON (the header and the
 * strings), zeros to a multiple of 8, then `NUMBERS` float64 columns of `paths.length` values
 * each (exact for every stat field: inodes and sizes stay below 2^53, times are the doubles
 * `fs.Stats` gives).
 */
const IndexHeader = v.object({
  format: v.literal(FORMAT),
  /** The project root, so that `hm gc` can tell a kept archive whose project is gone. */
  root: v.string(),
  /** The kept archive's file: a write into it (through a hard link) changes its size or mtime. */
  archive: v.object({ dev: v.number(), ino: v.number(), size: v.number(), mtimeMs: v.number() }),
  paths: v.array(v.string()),
  kinds: v.string(),
  targets: v.array(v.string()),
});
type IndexHeader = v.InferOutput<typeof IndexHeader>;

/** The numeric columns of `index.bin`, in order; `start` is -1 for an entry not to be reused. */
const NUMBERS = ["mode", "mtime", "size", "ctime", "ino", "dev", "start"] as const;
type Column = (typeof NUMBERS)[number];

interface Index extends IndexHeader {
  column(name: Column, i: number): number;
}

/** The last archive, open, with its index; null when there is none that can be trusted. */
export interface LastArchive {
  readonly fd: number;
  /** The archive's path, for a hard link when nothing changed. */
  readonly path: string;
  readonly ino: number;
  /** The content offset of `entry` in the last archive, or -1 when it must be read from the tree. */
  reusableStart(entry: PackedEntry): number;
  /** Whether `entries` are exactly the last archive's, in order, every file reusable. */
  sameAs(entries: readonly PackedEntry[]): boolean;
  close(): void;
}

/** The directory that keeps a project's last archive, keyed by its root and pipeline directory. */
export function reuseDirectory(stateDir: string, root: string, pipelineName: string | null): string {
  return join(stateDir, "packs", projectKey(root, pipelineName ?? ""));
}

/**
 * Where a runner keeps what it derives from the kept archive's bytes (the docker runner's
 * tree id, `src/docker/archive-memo.ts`); it names the archive file it is of, and goes
 * when the archive is replaced.
 */
export function archiveMemoPath(dir: string): string {
  return join(dir, "memo");
}

export function openLastArchive(dir: string): LastArchive | null {
  const path = join(dir, "archive.tar");
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return null;
  }
  try {
    const stats = fstatSync(fd);
    const file = readFileSync(join(dir, "index"));
    const jsonLength = file.length >= 4 ? file.readUInt32LE(0) : -1;
    const numbersAt = align8(4 + jsonLength);
    if (jsonLength < 0 || numbersAt > file.length) {
      closeSync(fd);
      return null;
    }
    const json: unknown = JSON.parse(file.subarray(4, 4 + jsonLength).toString("utf8"));
    const header = v.safeParse(IndexHeader, json);
    // Another run may have replaced the archive after this index was written: the inode tells.
    if (!header.success || !consistent(header.output, stats, file.length - numbersAt)) {
      closeSync(fd);
      return null;
    }
    const n = header.output.paths.length;
    // A copy: the file's buffer may not sit at a multiple of 8.
    const numbers = new Float64Array(
      file.buffer.slice(file.byteOffset + numbersAt, file.byteOffset + file.length),
    );
    const index: Index = {
      ...header.output,
      column: (name, i) => numbers[NUMBERS.indexOf(name) * n + i] as number,
    };
    return lastArchive(fd, path, stats.ino, index);
  } catch {
    closeSync(fd);
    return null;
  }
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function consistent(
  index: IndexHeader,
  stats: { dev: number; ino: number; size: number; mtimeMs: number },
  binBytes: number,
) {
  const n = index.paths.length;
  return (
    index.archive.dev === stats.dev &&
    index.archive.ino === stats.ino &&
    index.archive.size === stats.size &&
    index.archive.mtimeMs === stats.mtimeMs &&
    index.kinds.length === n &&
    index.targets.length === n &&
    binBytes === n * NUMBERS.length * 8
  );
}

function lastArchive(fd: number, path: string, ino: number, index: Index): LastArchive {
  const at = index.column;
  const byPath = new Map<string, number>();
  for (const [i, p] of index.paths.entries()) byPath.set(p, i);
  const sameHeader = (i: number, entry: PackedEntry) =>
    index.kinds[i] === entry.kind &&
    at("mode", i) === entry.mode &&
    Math.floor(at("mtime", i) / 1000) === Math.floor(entry.mtimeMs / 1000) &&
    index.targets[i] === entry.target;
  const reusableAt = (i: number, entry: PackedEntry): number => {
    const start = at("start", i);
    const same =
      start >= 0 &&
      sameHeader(i, entry) &&
      at("mtime", i) === entry.mtimeMs &&
      at("size", i) === entry.size &&
      at("ctime", i) === entry.ctimeMs &&
      at("ino", i) === entry.ino &&
      at("dev", i) === entry.dev;
    return same ? start : -1;
  };
  return {
    fd,
    path,
    ino,
    reusableStart(entry) {
      const i = byPath.get(entry.path);
      return i === undefined || entry.kind !== "f" ? -1 : reusableAt(i, entry);
    },
    sameAs(entries) {
      if (entries.length !== index.paths.length) return false;
      for (const [i, entry] of entries.entries()) {
        if (index.paths[i] !== entry.path || !sameHeader(i, entry)) return false;
        if (entry.kind === "f" && reusableAt(i, entry) < 0) return false;
      }
      return true;
    },
    close: () => closeSync(fd),
  };
}

/** Marks the kept archive used (for `pruneKeptArchives`), after a pack took it whole. */
export function markUsed(dir: string): void {
  const now = new Date();
  try {
    utimesSync(join(dir, "index"), now, now);
  } catch {
    // Gone meanwhile: the next pack keeps a new one.
  }
}

/**
 * `hm gc`: removes the kept archives whose project root is gone or that no pack used for
 * `maxAgeMs`, and any that cannot be read. Returns how many and the bytes freed.
 */
export function pruneKeptArchives(stateDir: string, maxAgeMs: number, now = Date.now()) {
  const packs = join(stateDir, "packs");
  let count = 0;
  let bytes = 0;
  let names: string[];
  try {
    names = readdirSync(packs);
  } catch {
    return { count, bytes };
  }
  for (const name of names) {
    const dir = join(packs, name);
    if (keep(dir, maxAgeMs, now)) continue;
    bytes += sizeOf(join(dir, "archive.tar")) + sizeOf(join(dir, "index"));
    rmSync(dir, { recursive: true, force: true });
    count++;
  }
  return { count, bytes };
}

function keep(dir: string, maxAgeMs: number, now: number): boolean {
  try {
    const index = readFileSync(join(dir, "index"));
    if (now - statSync(join(dir, "index")).mtimeMs > maxAgeMs) return false;
    const header = v.safeParse(
      IndexHeader,
      JSON.parse(index.subarray(4, 4 + index.readUInt32LE(0)).toString("utf8")),
    );
    return header.success && existsSync(header.output.root);
  } catch {
    return false;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Keeps `archive` (just written, complete) as the project's last archive, with the index of
 * `entries`; `starts[i]` is where file i's content begins in it (-1: do not reuse). The
 * archive becomes read-only: it is shared, by hard link, with the runs that reuse it.
 * A failure only costs the next run its shortcut.
 */
export function keepLastArchive(
  dir: string,
  root: string,
  archive: string,
  entries: readonly PackedEntry[],
  starts: readonly number[],
  packStartedMs: number,
): void {
  const temp = join(dir, `archive.${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    rmSync(temp, { force: true });
    linkSync(archive, temp);
    const fd = openSync(temp, "r");
    const stats = fstatSync(fd);
    closeSync(fd);
    const header: IndexHeader = {
      format: FORMAT,
      root,
      archive: { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs },
      paths: entries.map((e) => e.path),
      kinds: entries.map((e) => e.kind).join(""),
      targets: entries.map((e) => e.target),
    };
    const n = entries.length;
    const numbers = new Float64Array(n * NUMBERS.length);
    for (const [i, e] of entries.entries()) {
      // A file changed within RACY_MS of this pack could change again unseen: read it next time.
      const settled = e.kind === "f" && Math.max(e.ctimeMs, e.mtimeMs) < packStartedMs - RACY_MS;
      const row = [e.mode, e.mtimeMs, e.size, e.ctimeMs, e.ino, e.dev, settled ? (starts[i] ?? -1) : -1];
      for (const [c, value] of row.entries()) numbers[c * n + i] = value;
    }
    chmodSync(temp, 0o444);
    rmSync(archiveMemoPath(dir), { force: true });
    renameSync(temp, join(dir, "archive.tar"));
    const json = Buffer.from(JSON.stringify(header));
    const numbersAt = align8(4 + json.length);
    const file = Buffer.alloc(numbersAt + numbers.byteLength);
    file.writeUInt32LE(json.length, 0);
    json.copy(file, 4);
    file.set(new Uint8Array(numbers.buffer), numbersAt);
    writeFileAtomically(join(dir, "index"), file, 0o600);
  } catch {
    rmSync(temp, { force: true });
  }
}
