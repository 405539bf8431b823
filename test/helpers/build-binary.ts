/**
 * `bun run build` (dist/hm) for the tests that run the compiled binary, once
 * per test process: the files that need it share one build.
 */
import { REPO_ROOT } from "./hm.ts";

let built = false;

export function buildBinaryOnce(): void {
  if (built) return;
  const build = Bun.spawnSync([process.execPath, "run", "build"], {
    cwd: REPO_ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`bun run build failed:\n${build.stderr.toString()}`);
  built = true;
}
