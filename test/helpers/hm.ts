/**
 * Runs hm as a real process: from source (`bun src/main.ts`) by default, or
 * the compiled binary when `binary` is given. The environment is minimal and
 * explicit so results do not depend on the developer's shell.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dir, "..", "..");
export const BINARY_PATH = join(REPO_ROOT, "dist", "hm");

export interface HmResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface HmOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Run `dist/hm` instead of the sources. */
  binary?: boolean;
}

/** An empty home, so a developer's ~/.harmont/plugins never leaks into a test; made on first use. */
let emptyHome: string | null = null;

/**
 * Removes the empty home. `bun test` does not emit the process's `exit` event (Bun 1.4.5: each
 * test run left a directory), so test/preload.ts calls this from a global afterAll; the
 * `exit` handler covers scripts that import these helpers.
 */
export function removeEmptyHome(): void {
  if (emptyHome !== null) rmSync(emptyHome, { recursive: true, force: true });
  emptyHome = null;
}
process.on("exit", removeEmptyHome);

function home(): string {
  emptyHome ??= mkdtempSync(join(tmpdir(), "hm-test-home-"));
  return emptyHome;
}

export function baseEnv(): Record<string, string> {
  const emptyHome = home();
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: emptyHome,
    HM_STATE_DIR: join(emptyHome, "state"),
    NO_COLOR: "1",
  };
}

export async function runHm(args: string[], options: HmOptions = {}): Promise<HmResult> {
  const command = options.binary
    ? [BINARY_PATH, ...args]
    : [process.execPath, join(REPO_ROOT, "src", "main.ts"), ...args];
  const proc = Bun.spawn(command, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...baseEnv(), ...options.env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { exitCode, stdout, stderr };
}

/** Fresh state and temp directories for one `hm run` under `parent` (outside the project, which is packed). */
export function runDirs(parent: string): { state: string; tmp: string } {
  const base = join(parent, crypto.randomUUID());
  const dirs = { state: join(base, "state"), tmp: join(base, "tmp") };
  mkdirSync(dirs.tmp, { recursive: true });
  return dirs;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = "hm-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * hm's own `.hm/` is missing when the suite runs as a step of `hm run` on hm
 * itself: the pipeline directory is not part of the workspace (`docs/design.md`, "The workspace archive").
 */
export const OWN_PIPELINE_PRESENT = existsSync(join(REPO_ROOT, ".hm", "ci.ts"));
if (!OWN_PIPELINE_PRESENT)
  console.error("skipping tests of hm's own pipeline: .hm/ is not in this workspace");
