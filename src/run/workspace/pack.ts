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
 * The file system calls are synchronous (they are many and small, and that
 * is several times faster than promises), but the walk gives the event loop
 * a turn every few milliseconds.
 */
import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
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
}

interface PackResult {
  readonly files: number;
  readonly directories: number;
  readonly symlinks: number;
  /** The archive's size. */
  readonly bytes: number;
  /** Every entry's path, in archive order; directories end in "/". */
  readonly paths: readonly string[];
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
  const rules = await IgnoreRules.load(root, { env: options.env });
  const pipelineName = options.pipelineDir === null ? null : rootChildName(root, options.pipelineDir);
  const output = resolve(options.output);
  let writer: TarWriter | undefined;
  try {
    const pacer = new Pacer();
    writer = TarWriter.create(output, { pause: () => pacer.pause() });
    const walk = new Walk(
      root,
      pipelineName,
      writer,
      statSync(output),
      pacer,
      options.onWarning ?? (() => {}),
    );
    await walk.directory("", rules);
    return { ...walk.counts, paths: walk.paths, bytes: writer.finish() };
  } catch (error) {
    writer?.abort();
    rmSync(output, { force: true });
    throw new HmError("E_WORKSPACE", `cannot pack ${root} into ${output}: ${messageOf(error)}`, {
      cause: error,
    });
  }
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

/**
 * One walk of the tree into the archive. Errors reading the tree skip the
 * entry with a warning; errors writing the archive propagate.
 */
class Walk {
  readonly counts = { files: 0, directories: 0, symlinks: 0 };
  /** Every entry's path, in archive order (directories end in "/"). */
  readonly paths: string[] = [];

  constructor(
    private readonly root: string,
    private readonly pipelineName: string | null,
    private readonly archive: TarWriter,
    /** The archive's own file, never packed even when it lies in the tree. */
    private readonly output: Stats,
    private readonly pacer: Pacer,
    private readonly warn: (message: string) => void,
  ) {}

  /** Packs the entries of `dir` (relative to the root, "" for the root), given the rules above it. */
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
      const kind = kindOf(entry) ?? kindOfStats(this.#attempt(path, () => lstatSync(full)));
      if (kind === "other" || rules.ignores(path, kind === "directory")) continue;
      const inPipelineDir = this.pipelineName !== null && dir === this.pipelineName;
      if (inPipelineDir && (kind !== "directory" || HM_ONLY_DIRECTORIES.has(name))) continue;
      if (kind === "directory") {
        if (dir === "" && name === this.pipelineName && !this.#hasSharedDirectory(full)) continue;
        const stats = this.#attempt(path, () => lstatSync(full));
        if (stats?.isDirectory() !== true) continue;
        this.archive.addDirectory(path, metaOf(stats));
        this.counts.directories++;
        this.paths.push(`${path}/`);
        await this.directory(path, rules);
      } else if (kind === "file") {
        if (await this.#file(path, full)) {
          this.counts.files++;
          this.paths.push(path);
        }
      } else {
        const link = this.#attempt(path, () => ({ stats: lstatSync(full), target: readlinkSync(full) }));
        if (link === undefined) continue;
        this.archive.addSymlink(path, link.target, metaOf(link.stats));
        this.counts.symlinks++;
        this.paths.push(path);
      }
      await this.pacer.pause();
    }
  }

  /** Whether the pipeline directory holds a directory that steps get (so `.hm/` itself is packed). */
  #hasSharedDirectory(full: string): boolean {
    const entries = this.#attempt(this.pipelineName ?? "", () => readdirSync(full, { withFileTypes: true }));
    return entries?.some((e) => e.isDirectory() && !HM_ONLY_DIRECTORIES.has(e.name)) ?? false;
  }

  /** False when the file is skipped: it could not be opened, or is no longer a regular file. */
  async #file(path: string, full: string): Promise<boolean> {
    const fd = this.#attempt(path, () => openSync(full, OPEN_FLAGS));
    if (fd === undefined) return false;
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile() || (stats.dev === this.output.dev && stats.ino === this.output.ino)) return false;
      const copy = await this.archive.addFile(path, metaOf(stats), stats.size, fd);
      if (copy !== "complete") {
        const what = copy === "unreadable" ? "could not be read to the end" : copy;
        this.warn(
          `${path} ${what} while it was packed; stored with the ${stats.size} bytes it had when opened`,
        );
      }
      return true;
    } finally {
      closeSync(fd);
    }
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
