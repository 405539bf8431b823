/**
 * Packs a project's working tree into the workspace archive (`docs/design.md`,
 * "The workspace archive"): everything under the root except any entry named `.git`, what
 * belongs to hm alone in the project's pipeline directory (its files — pipelines, helpers,
 * configuration — and its `plugins/`, `node_modules/`, `__pycache__/` and `types/`; other directories
 * such as `.hm/scripts/` are packed), and what gitignore rules exclude (see
 * `ignore-rules.ts`); an excluded directory is not entered.
 *
 * Order: depth first, the entries of each directory sorted by name (UTF-16
 * code units), a directory before its contents; the root itself is not an
 * entry. Symlinks are stored as symlinks and never followed; sockets, fifos
 * and devices are skipped silently. An entry that vanishes or cannot be read
 * while the tree is walked is skipped with a warning; a file whose size
 * changes while it is copied keeps the size it had when opened (padded with
 * zeros or cut), with a warning, so the archive stays valid.
 *
 * Two passes: the walk lists the entries with their stat fields, then the
 * writer writes them. With `reuseDir`, files unchanged since the project's
 * last archive are copied from it instead of opened, and when nothing at all
 * changed the last archive becomes this one (`pack-reuse.ts`).
 *
 * The file system calls are synchronous (they are many and small, and that
 * is several times faster than promises), but the walk gives the event loop
 * a turn every few milliseconds.
 */
import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  type Stats,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { HmError, messageOf } from "../../errors.ts";
import { type EntryMeta, TarWriter } from "../../tar/tar-writer.ts";
import { type Environment, IgnoreRules } from "./ignore-rules.ts";
import {
  keepLastArchive,
  type LastArchive,
  markUsed,
  openLastArchive,
  type PackedEntry,
} from "./pack-reuse.ts";

interface PackOptions {
  /** The project root; its contents are packed. */
  readonly root: string;
  /** The project's pipeline directory (`.hm` or `.harmont`), absolute or relative to the root; null for none. */
  readonly pipelineDir: string | null;
  /** Where the tar is written; the caller owns it. On failure nothing is left there. */
  readonly output: string;
  /** A path skipped during the walk, with the reason. */
  readonly onWarning?: (message: string) => void;
  /** Where the global excludes file is looked up (HOME, XDG_CONFIG_HOME, PATH, GIT_CONFIG_*); defaults to `process.env`. */
  readonly env?: Environment;
  /** Where the project's last archive is kept for reuse (`reuseDirectory`); none: read every file. */
  readonly reuseDir?: string;
}

interface PackResult {
  readonly files: number;
  readonly directories: number;
  readonly symlinks: number;
  /** The archive's size. */
  readonly bytes: number;
  /** Every entry's path, in archive order; directories end in "/". */
  readonly paths: readonly string[];
  /** Files copied from the last archive rather than read from the tree; all of them when `whole`. */
  readonly reused: { readonly files: number; readonly whole: boolean };
}

/**
 * Directories of the pipeline directory that are hm's alone: project plugins, the SDK link,
 * Python's byte-code cache and the editor types `hm init` writes. The pipeline directory's
 * files (pipelines, helpers, configuration) are hm's too; its other directories are the
 * project's (`docs/design.md`, "The workspace archive").
 */
const HM_ONLY_DIRECTORIES: ReadonlySet<string> = new Set(["plugins", "node_modules", "__pycache__", "types"]);

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** How long the walk may hold the event loop. */
const TURN_MS = 20;

export async function packWorkspace(options: PackOptions): Promise<PackResult> {
  const root = resolve(options.root);
  if (!isDirectory(root)) {
    throw new HmError("E_PROJECT", `cannot pack the workspace: ${root} is not a directory`);
  }
  const startedMs = Date.now();
  const rules = await IgnoreRules.load(root, { env: options.env });
  const pipelineName = options.pipelineDir === null ? null : rootChildName(root, options.pipelineDir);
  const output = resolve(options.output);
  const warn = options.onWarning ?? (() => {});
  const pacer = new Pacer();
  let writer: TarWriter | undefined;
  const last = options.reuseDir === undefined ? null : openLastArchive(options.reuseDir);
  try {
    // Without a last archive no file can be reused: the writer's fstat is all a file needs.
    const walk = new Walk(root, pipelineName, output, pacer, warn, last !== null);
    await walk.directory("", rules);
    const listed = walk.entries;
    if (options.reuseDir !== undefined && last?.sameAs(listed) && linkedWhole(last, output)) {
      markUsed(options.reuseDir);
      return resultOf(listed, statSync(output).size, { files: countFiles(listed), whole: true });
    }
    writer = TarWriter.create(output, { pause: () => pacer.pause() });
    const written = await writeEntries(writer, root, listed, last, warn);
    const bytes = writer.finish();
    if (options.reuseDir !== undefined)
      keepLastArchive(options.reuseDir, root, output, written.entries, written.starts, startedMs);
    return resultOf(written.entries, bytes, { files: written.reused, whole: false });
  } catch (error) {
    writer?.abort();
    rmSync(output, { force: true });
    throw new HmError("E_WORKSPACE", `cannot pack ${root} into ${output}: ${messageOf(error)}`, {
      cause: error,
    });
  } finally {
    last?.close();
  }
}

/** The last archive hard-linked as `output`, when it is still the file that was checked. */
function linkedWhole(last: LastArchive, output: string): boolean {
  try {
    rmSync(output, { force: true });
    linkSync(last.path, output);
    if (lstatSync(output).ino === last.ino) return true;
  } catch {
    // Another file system, or the archive was replaced meanwhile: write a new one.
  }
  rmSync(output, { force: true });
  return false;
}

/**
 * Writes the listed entries: a file the last archive holds unchanged is copied from it, any
 * other is opened and read (and left out, with a warning, when that fails). Returns what was
 * written, with each file's content offset for the next reuse.
 */
async function writeEntries(
  writer: TarWriter,
  root: string,
  listed: readonly PackedEntry[],
  last: LastArchive | null,
  warn: (message: string) => void,
): Promise<{ entries: PackedEntry[]; starts: number[]; reused: number }> {
  const entries: PackedEntry[] = [];
  const starts: number[] = [];
  let reused = 0;
  for (const entry of listed) {
    const meta = { mode: entry.mode, mtime: Math.floor(entry.mtimeMs / 1000) };
    if (entry.kind === "d") writer.addDirectory(entry.path, meta);
    else if (entry.kind === "l") writer.addSymlink(entry.path, entry.target, meta);
    else {
      const from = last?.reusableStart(entry) ?? -1;
      let kept = entry;
      if (last !== null && from >= 0) {
        await writer.addFileRange(entry.path, meta, entry.size, last.fd, from);
        reused++;
      } else {
        const read = await readFile(writer, join(root, entry.path), entry.path, warn);
        if (read === null) continue;
        kept = read.entry;
        if (!read.complete) {
          entries.push(kept);
          starts.push(-1);
          continue;
        }
      }
      entries.push(kept);
      starts.push(writer.position - kept.size - padding(kept.size));
      continue;
    }
    entries.push(entry);
    starts.push(-1);
  }
  return { entries, starts, reused };
}

/**
 * Opens and copies one file of the tree; null when it is skipped (it could not be opened, or
 * is no longer a regular file). The entry has the stat fields of what was read; `complete`
 * is false when the copy did not match its size (then it must not be reused).
 */
async function readFile(
  writer: TarWriter,
  full: string,
  path: string,
  warn: (message: string) => void,
): Promise<{ entry: PackedEntry; complete: boolean } | null> {
  let fd: number;
  try {
    fd = openSync(full, OPEN_FLAGS);
  } catch (error) {
    warn(`skipped ${path}: ${messageOf(error)}`);
    return null;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return null;
    const entry = packedEntry(path, "f", stats, "");
    const copy = await writer.addFile(path, metaOf(stats), stats.size, fd);
    if (copy === "complete") return { entry, complete: true };
    const what = copy === "unreadable" ? "could not be read to the end" : copy;
    warn(`${path} ${what} while it was packed; stored with the ${stats.size} bytes it had when opened`);
    return { entry, complete: false };
  } finally {
    closeSync(fd);
  }
}

/** A file listed without its stat fields: the writer opens it and takes them from `fstat`. */
const UNSTATED_FILE = (path: string): PackedEntry => ({
  path,
  kind: "f",
  mode: 0,
  mtimeMs: -1,
  size: -1,
  ctimeMs: -1,
  ino: -1,
  dev: -1,
  target: "",
});

function packedEntry(path: string, kind: PackedEntry["kind"], stats: Stats, target: string): PackedEntry {
  return {
    path,
    kind,
    mode: stats.mode & 0o7777,
    mtimeMs: stats.mtimeMs,
    size: kind === "f" ? stats.size : 0,
    ctimeMs: stats.ctimeMs,
    ino: stats.ino,
    dev: stats.dev,
    target,
  };
}

function countFiles(entries: readonly PackedEntry[]): number {
  let files = 0;
  for (const entry of entries) if (entry.kind === "f") files++;
  return files;
}

function resultOf(entries: readonly PackedEntry[], bytes: number, reused: PackResult["reused"]): PackResult {
  const counts = { files: 0, directories: 0, symlinks: 0 };
  const paths: string[] = [];
  for (const entry of entries) {
    if (entry.kind === "d") counts.directories++;
    else if (entry.kind === "f") counts.files++;
    else counts.symlinks++;
    paths.push(entry.kind === "d" ? `${entry.path}/` : entry.path);
  }
  return { ...counts, paths, bytes, reused };
}

/** Gives the event loop a turn when the walk has held it for `TURN_MS`. */
class Pacer {
  #lastTurn = performance.now();

  async pause(): Promise<void> {
    if (performance.now() - this.#lastTurn < TURN_MS) return;
    await new Promise((done) => setImmediate(done));
    this.#lastTurn = performance.now();
  }
}

/** One walk of the tree, listing what the archive will hold. Errors reading the tree skip the entry with a warning. */
class Walk {
  /** Every entry, in archive order. */
  readonly entries: PackedEntry[] = [];

  constructor(
    private readonly root: string,
    private readonly pipelineName: string | null,
    /** The archive's own file, never packed even when it lies in the tree. */
    private readonly output: string,
    private readonly pacer: Pacer,
    private readonly warn: (message: string) => void,
    /** Whether files are stat-ed now, to be compared with the last archive. */
    private readonly statFiles: boolean,
  ) {}

  /** Lists the entries of `dir` (relative to the root, "" for the root), given the rules above it. */
  async directory(dir: string, parentRules: IgnoreRules): Promise<void> {
    const absolute = dir === "" ? this.root : join(this.root, dir);
    const list = () => readdirSync(absolute, { withFileTypes: true });
    const entries = dir === "" ? list() : this.#attempt(`${dir}/ (its contents)`, list);
    if (entries === undefined) return;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const hasGitignore = entries.some((entry) => entry.name === ".gitignore" && entry.isFile());
    const rules = parentRules.descend(dir, hasGitignore ? this.#readGitignore(dir, absolute) : undefined);

    for (const entry of entries) {
      const name = entry.name;
      if (name === ".git") continue;
      const path = dir === "" ? name : `${dir}/${name}`;
      const full = join(absolute, name);
      if (full === this.output) continue;
      const kind = kindOf(entry) ?? kindOfStats(this.#attempt(path, () => lstatSync(full)));
      if (kind === "other" || rules.ignores(path, kind === "directory")) continue;
      const inPipelineDir = this.pipelineName !== null && dir === this.pipelineName;
      if (inPipelineDir && (kind !== "directory" || HM_ONLY_DIRECTORIES.has(name))) continue;
      if (kind === "directory" && dir === "" && name === this.pipelineName && !this.#hasSharedDirectory(full))
        continue;
      if (kind === "file" && !this.statFiles) {
        this.entries.push(UNSTATED_FILE(path));
        await this.pacer.pause();
        continue;
      }
      const stats = this.#attempt(path, () => lstatSync(full));
      if (stats === undefined || kindOfStats(stats) !== kind) continue;
      if (kind === "directory") {
        this.entries.push(packedEntry(path, "d", stats, ""));
        await this.directory(path, rules);
      } else if (kind === "file") {
        this.entries.push(packedEntry(path, "f", stats, ""));
      } else {
        const target = this.#attempt(path, () => readlinkSync(full));
        if (target !== undefined) this.entries.push(packedEntry(path, "l", stats, target));
      }
      await this.pacer.pause();
    }
  }

  /** Whether the pipeline directory holds a directory that steps get (so `.hm/` itself is packed). */
  #hasSharedDirectory(full: string): boolean {
    const entries = this.#attempt(this.pipelineName ?? "", () => readdirSync(full, { withFileTypes: true }));
    return entries?.some((e) => e.isDirectory() && !HM_ONLY_DIRECTORIES.has(e.name)) ?? false;
  }

  /** A directory's `.gitignore`; an unreadable one is reported and applies no rules. */
  #readGitignore(dir: string, absolute: string): string | undefined {
    try {
      return readFileSync(join(absolute, ".gitignore"), "utf8");
    } catch (error) {
      const path = dir === "" ? ".gitignore" : `${dir}/.gitignore`;
      this.warn(`could not read ${path}, so its rules do not apply: ${messageOf(error)}`);
      return undefined;
    }
  }

  /** A read of the tree; when it fails, `path` is skipped with a warning. */
  #attempt<T>(path: string, read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      this.warn(`skipped ${path}: ${messageOf(error)}`);
      return undefined;
    }
  }
}

/** Zero bytes that bring `size` to a whole number of 512-byte blocks. */
function padding(size: number): number {
  return (512 - (size % 512)) % 512;
}

type Kind = "directory" | "file" | "symlink" | "other";

/** What a directory entry is, or undefined when the file system did not say (then ask `lstat`). */
function kindOf(entry: Dirent): Kind | undefined {
  if (entry.isDirectory()) return "directory";
  if (entry.isFile()) return "file";
  if (entry.isSymbolicLink()) return "symlink";
  if (entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice())
    return "other";
  return undefined;
}

function kindOfStats(stats: Stats | undefined): Kind {
  if (stats?.isDirectory()) return "directory";
  if (stats?.isFile()) return "file";
  return stats?.isSymbolicLink() ? "symlink" : "other";
}

/** The name of the pipeline directory, which must sit directly in the root. */
function rootChildName(root: string, pipelineDir: string): string {
  const full = resolve(root, pipelineDir);
  if (dirname(full) !== root) {
    throw new HmError("E_INTERNAL", `the pipeline directory ${pipelineDir} is not directly in ${root}`);
  }
  return basename(full);
}

function metaOf(stats: Stats): EntryMeta {
  return { mode: stats.mode & 0o7777, mtime: Math.floor(stats.mtimeMs / 1000) };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
