/**
 * Helpers for the workspace tests: build a tree from a description, take a
 * comparable snapshot of one, and run the system `tar` (GNU tar) and `git`
 * as oracles, with a private HOME so the developer's git config never leaks
 * in.
 */
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

/** Path → content (string or bytes), or `{ link }` for a symlink; a path ending in `/` is a directory. */
export type TreeSpec = Record<string, string | Uint8Array | { link: string }>;

export function makeTree(root: string, spec: TreeSpec): void {
  for (const [path, value] of Object.entries(spec)) {
    const full = join(root, path);
    if (path.endsWith("/")) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    if (typeof value === "object" && "link" in value) symlinkSync(value.link, full);
    else writeFileSync(full, value);
  }
}

/**
 * Every directory, regular file and symlink under `root` (not `root`
 * itself): `dir 755 <mtime>`, `file 644 <mtime> <sha256>`, `link -> target`.
 */
export function snapshot(root: string): Record<string, string> {
  const result: Record<string, string> = {};
  const visit = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const path = prefix + name;
      const stats = lstatSync(full);
      const mode = (stats.mode & 0o7777).toString(8);
      const mtime = Math.floor(stats.mtimeMs / 1000);
      if (stats.isSymbolicLink()) {
        result[path] = `link -> ${readlinkSync(full)}`;
      } else if (stats.isDirectory()) {
        result[`${path}/`] = `dir ${mode} ${mtime}`;
        visit(full, `${path}/`);
      } else if (stats.isFile()) {
        const hash = new Bun.CryptoHasher("sha256").update(readFileSync(full)).digest("hex");
        result[path] = `file ${mode} ${mtime} ${hash}`;
      }
    }
  };
  visit(root, "");
  return result;
}

function run(command: string[], options: { cwd?: string; env?: Record<string, string> } = {}): string {
  const proc = Bun.spawnSync(command, {
    cwd: options.cwd,
    env: options.env ?? { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (proc.exitCode !== 0) {
    throw new Error(`${command.join(" ")} exited ${proc.exitCode}: ${proc.stderr.toString()}`);
  }
  return proc.stdout.toString();
}

/** `tar -xpf`: fails the test on any complaint of GNU tar about the archive. */
export function extract(archive: string, into: string): void {
  mkdirSync(into, { recursive: true });
  run(["tar", "-xpf", archive, "-C", into]);
}

/** Member names in archive order, as GNU tar reads them. */
export function listing(archive: string): string[] {
  return run(["tar", "-tf", archive]).split("\n").filter(Boolean);
}

/** `tar -tvf` lines, for owner and type checks. */
export function verboseListing(archive: string): string[] {
  return run(["tar", "--full-time", "-tvf", archive]).split("\n").filter(Boolean);
}

/** An environment for git (and for the packer) with its own HOME and no system config. */
export function gitEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    ...extra,
  };
}

export function git(cwd: string, env: Record<string, string>, ...args: string[]): string {
  return run(["git", ...args], { cwd, env });
}
