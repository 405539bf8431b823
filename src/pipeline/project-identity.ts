/**
 * Which project a directory is, for what hm keeps between runs on a shared
 * engine (the step cache: `docs/design.md`, "The step cache"). Two clones of
 * one repository are one project, wherever they live; two different
 * projects never are:
 * - inside a git repository with commits: its root commit(s) plus the
 *   project's path inside the repository, so two projects of one monorepo
 *   differ and a moved or re-cloned checkout keeps its identity;
 * - otherwise: the canonical path of the project root (a moved directory
 *   starts a new cache, which is safe).
 */
import { realpathSync } from "node:fs";
import { relative } from "node:path";

export interface ProjectIdentity {
  /** 16 hex digits: the image-name component and label value of this project's cache. */
  readonly id: string;
  /** What the id was derived from, for people: `git <root commit> <path in repo>` or `path <dir>`. */
  readonly basis: string;
}

export async function projectIdentity(root: string): Promise<ProjectIdentity> {
  const canonical = realpathSync(root);
  const repo = await gitRepository(canonical);
  const basis =
    repo === null
      ? `path ${canonical}`
      : `git ${repo.rootCommits.join(",")} ${relative(repo.topLevel, canonical) || "."}`;
  return { id: new Bun.CryptoHasher("sha256").update(basis).digest("hex").slice(0, 16), basis };
}

interface GitRepository {
  topLevel: string;
  /** Sorted: a history with several roots (merged repositories) has them all. */
  rootCommits: string[];
}

/** The repository holding `dir` and its root commits, or null (no git, not a repository, no commit yet). */
async function gitRepository(dir: string): Promise<GitRepository | null> {
  const topLevel = await git(dir, ["rev-parse", "--show-toplevel"]);
  if (topLevel === null) return null;
  const roots = await git(dir, ["rev-list", "--max-parents=0", "HEAD"]);
  if (roots === null || roots === "") return null;
  return { topLevel: realpathSync(topLevel), rootCommits: roots.split("\n").sort() };
}

async function git(cwd: string, args: string[]): Promise<string | null> {
  if (Bun.which("git") === null) return null;
  const proc = Bun.spawn(["git", ...args], {
    cwd,
    stdout: "pipe",
    stderr: "ignore",
    // A repository's own config must not change what hm computes (e.g. a pager or an alias).
    env: { ...process.env, GIT_PAGER: "cat", GIT_CONFIG_NOSYSTEM: "1" },
  });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return code === 0 ? out.trim() : null;
}
