/**
 * The project a pipeline file belongs to. Toolchains read manifests and
 * lockfiles (`package.json`, `bun.lock`, …) relative to it, never relative to
 * the process's working directory, so `hm render -d sub/dir` sees the same
 * files as running hm inside `sub/dir`. The loader sets it around the import
 * of each pipeline file; outside the loader the working directory is used.
 */
import { resolve } from "node:path";

let current: string | null = null;

/** Runs `evaluate` (the import of a pipeline file) with `dir` as the current project. */
export async function withProjectDir<T>(dir: string, evaluate: () => Promise<T>): Promise<T> {
  const previous = current;
  current = dir;
  try {
    return await evaluate();
  } finally {
    current = previous;
  }
}

/** `path` (relative to the project, as a pipeline file writes it) as an absolute path. */
export function inProject(path: string): string {
  return resolve(current ?? process.cwd(), path);
}
