/**
 * A large generated project for the Docker benchmarks: `files` tracked files under `src/`
 * (about 4 KiB each on average, so 50 000 files make about 200 MB), committed in a git
 * repository of its own. The content is a function of (seed, file index) only, so a run is
 * reproducible, and two seeds share no file content: a tree made with a fresh seed is new to
 * anything keyed by content (a workspace image, a layer cache) as well as by project (the
 * repository's root commit is new too).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where file `i` lives: 50 packages of 20 folders, so no directory holds more than ~50 files. */
export function treeFilePath(i: number): string {
  return join(
    "src",
    `pkg-${String(i % 50).padStart(2, "0")}`,
    `mod-${Math.floor(i / 50) % 20}`,
    `file-${i}.ts`,
  );
}

/** A small deterministic mix of the seed and index (FNV-1a over both), for sizes. */
function mix(seed: string, i: number): number {
  let h = 0x811c9dc5;
  for (const c of `${seed}:${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/** The content of file `i`: source-like lines, 256 B to ~7.9 KiB (mean ~4 KiB). */
export function treeFileContent(seed: string, i: number, revision = 0): string {
  const size = 256 + (mix(seed, i) % 7_680);
  const header = `// ${seed} file ${i} revision ${revision}\n`;
  const line = `export const value${i}_${revision} = "${seed}".length * ${i};\n`;
  return header + line.repeat(Math.max(1, Math.ceil((size - header.length) / line.length)));
}

function git(root: string, args: string[], env: Record<string, string>): void {
  const r = Bun.spawnSync(["git", ...args], { cwd: root, env, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")} failed in ${root}: ${r.stderr.toString()}`);
}

/** Environment for git that reads no user or system configuration. */
export function gitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "hm bench",
    GIT_AUTHOR_EMAIL: "bench@hm.invalid",
    GIT_COMMITTER_NAME: "hm bench",
    GIT_COMMITTER_EMAIL: "bench@hm.invalid",
  };
}

export interface GeneratedTree {
  readonly root: string;
  readonly files: number;
  readonly bytes: number;
}

/**
 * Writes the tree and `extra` files (the pipeline) under `root`, then commits everything as the
 * repository's root commit. Loose objects are stored uncompressed: zlib over 200 MB would
 * double the set-up time and the benchmark measures hm, not git.
 */
export function generateTree(
  root: string,
  seed: string,
  files: number,
  extra: Record<string, string>,
  env: Record<string, string>,
): GeneratedTree {
  let bytes = 0;
  const made = new Set<string>();
  for (let i = 0; i < files; i++) {
    const path = join(root, treeFilePath(i));
    const dir = join(path, "..");
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    const content = treeFileContent(seed, i);
    bytes += content.length;
    writeFileSync(path, content);
  }
  for (const [relative, content] of Object.entries(extra)) {
    mkdirSync(join(root, relative, ".."), { recursive: true });
    writeFileSync(join(root, relative), content);
  }
  git(root, ["init", "--quiet", "--initial-branch=main"], env);
  git(root, ["-c", "core.looseCompression=0", "add", "-A"], env);
  git(
    root,
    ["-c", "core.looseCompression=0", "commit", "--quiet", "--no-verify", "-m", `bench tree ${seed}`],
    env,
  );
  return { root, files, bytes };
}

/** Changes one tracked file in the working tree (not committed): the edit a developer makes. */
export function editOneFile(root: string, seed: string, i: number, revision: number): void {
  writeFileSync(join(root, treeFilePath(i)), treeFileContent(seed, i, revision));
}
