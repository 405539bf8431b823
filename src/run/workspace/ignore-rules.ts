/**
 * Which paths gitignore rules exclude, as git decides for untracked files
 * (`gitignore(5)`): the `.gitignore` of a path's own directory and of every
 * directory above it up to the root, the deeper file first; then
 * `.git/info/exclude`; then the global excludes file (`core.excludesFile`,
 * else `$XDG_CONFIG_HOME/git/ignore` or `~/.config/git/ignore`). Within one
 * source the last matching pattern decides; the first source with a matching
 * pattern wins. Paths are relative to the root, with `/` separators.
 *
 * A path is judged on its own: whether its parent directory is excluded is
 * the walker's business (an excluded directory is not entered, so nothing
 * below it can be re-included), exactly as git walks. Matching is
 * case-sensitive, as git's is on Linux.
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import ignore, { type Ignore } from "ignore";

export type Environment = Readonly<Record<string, string | undefined>>;

interface LoadOptions {
  /** HOME, XDG_CONFIG_HOME, PATH and git's own variables; defaults to `process.env`. */
  readonly env?: Environment;
}

interface Source {
  /** The directory the patterns are relative to: "" for the root, else `dir/`. */
  readonly base: string;
  readonly matcher: Ignore;
}

export class IgnoreRules {
  /** Highest precedence first; each base is the root or an ancestor of the paths asked about. */
  readonly #sources: readonly Source[];

  private constructor(sources: readonly Source[]) {
    this.#sources = sources;
  }

  /**
   * The rules that hold before any `.gitignore` is read: `.git/info/exclude`
   * (when `root/.git` is a directory) and the global excludes file. A
   * missing file is no rules.
   */
  static async load(root: string, options: LoadOptions = {}): Promise<IgnoreRules> {
    const env = options.env ?? process.env;
    const sources: Source[] = [];
    const gitDir = join(root, ".git");
    if (isDirectory(gitDir)) {
      const exclude = readText(join(gitDir, "info", "exclude"));
      if (exclude !== undefined) sources.push(source("", exclude));
    }
    const global = readText(await globalExcludesFile(root, env));
    if (global !== undefined) sources.push(source("", global));
    return new IgnoreRules(sources);
  }

  /**
   * The rules for the entries of a directory the walker entered, given the
   * text of its `.gitignore` (if it has one). `dir` is relative to the root,
   * "" for the root itself.
   */
  descend(dir: string, gitignore: string | undefined): IgnoreRules {
    const sources = dir === "" ? [...this.#sources] : this.#sources.map((source) => reopened(source, dir));
    if (gitignore !== undefined) sources.unshift(source(dir === "" ? "" : `${dir}/`, gitignore));
    return new IgnoreRules(sources);
  }

  ignores(path: string, isDirectory: boolean): boolean {
    for (const { base, matcher } of this.#sources) {
      const relative = path.slice(base.length);
      const verdict = matcher.test(isDirectory ? `${relative}/` : relative);
      if (verdict.ignored) return true;
      if (verdict.unignored) return false;
    }
    return false;
  }
}

/**
 * `core.excludesFile` as git reads it in the root (so a repository's own
 * setting counts too); when it is unset or git is not installed, git's
 * default place.
 */
async function globalExcludesFile(root: string, env: Environment): Promise<string> {
  const configured = await gitConfig(root, env, "core.excludesFile");
  if (configured) return resolve(root, configured);
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME ?? homedir(), ".config");
  return join(configHome, "git", "ignore");
}

/** A path setting (`~` expanded by git), or undefined when it is unset or git is not installed. */
async function gitConfig(cwd: string, env: Environment, key: string): Promise<string | undefined> {
  const git = Bun.which("git", { PATH: env.PATH ?? "" });
  if (git === null) return undefined;
  try {
    const proc = Bun.spawn([git, "config", "--path", "--get", key], {
      cwd,
      env: definedOnly(env),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
    });
    const [output, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    return exitCode === 0 ? output.replace(/\n$/, "") : undefined;
  } catch {
    return undefined;
  }
}

function source(base: string, patterns: string): Source {
  // git skips a UTF-8 byte order mark at the start of an ignore file.
  return { base, matcher: ignore({ ignorecase: false }).add(patterns.replace(/^\uFEFF/, "")) };
}

/**
 * A source that excludes `dir` (itself, or through a directory above it)
 * although the walker entered it: a higher-precedence source re-included it.
 * The `ignore` package judges a path by its parents first, so below `dir`
 * this source would exclude everything; a copy with `dir` re-included judges
 * those paths on their own, as git does.
 */
function reopened(original: Source, dir: string): Source {
  const relative = dir.slice(original.base.length);
  if (!original.matcher.test(`${relative}/`).ignored) return original;
  const matcher = ignore({ ignorecase: false })
    .add(original.matcher)
    .add({ pattern: `!/${escapePattern(relative)}/` });
  return { base: original.base, matcher };
}

/** A path as a gitignore pattern that matches only itself. */
function escapePattern(path: string): string {
  return path.replace(/[\\*?[\]]/g, "\\$&").replace(/ +$/, (spaces) => spaces.replace(/ /g, "\\ "));
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function definedOnly(env: Environment): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}
