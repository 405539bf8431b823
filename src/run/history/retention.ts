/**
 * Keeps a project's history within its limits (limits.ts): newest first, a run
 * stays while it is among the newest `maxRuns` and the runs kept so far plus
 * it fit in `maxBytes`. Runs still going (another `hm run` of the project) and
 * the caller's own run are never removed, and count first. Directories that
 * never became a run (a creation cut short) go after an hour. Pruning is best
 * effort: two runs pruning at once may both remove a run, which is harmless.
 * `hm gc` also removes the runs of projects that are gone (`pruneGoneProjects`).
 */
import { readdirSync, rmdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type SavedRun, savedRuns } from "./catalog.ts";
import { historyRoot, RUN_FILE } from "./layout.ts";
import type { HistoryLimits } from "./limits.ts";

const ABANDONED_AFTER_MS = 3_600_000;

/** Removes what the limits do not keep; returns the ids of the runs removed. */
export async function pruneHistory(
  projectDir: string,
  limits: HistoryLimits,
  ownRunId: string,
): Promise<string[]> {
  const runs = savedRuns(projectDir);
  const pinned = (run: SavedRun) => run.id === ownRunId || run.live;
  let keptRuns = 0;
  let keptBytes = 0;
  for (const run of runs.filter(pinned)) {
    keptRuns++;
    keptBytes += sizeOf(run.dir);
  }
  const doomed: SavedRun[] = [];
  for (const run of runs) {
    if (pinned(run)) continue;
    const bytes = sizeOf(run.dir);
    if (keptRuns < limits.maxRuns && keptBytes + bytes <= limits.maxBytes) {
      keptRuns++;
      keptBytes += bytes;
    } else doomed.push(run);
  }
  await Promise.all(doomed.map((run) => removeQuietly(run.dir)));
  await Promise.all(abandoned(projectDir).map(removeQuietly));
  return doomed.map((run) => run.id);
}

/**
 * `hm gc`: removes every saved run whose project root (as its `run.json` records it) no
 * longer exists, but a run still going; a project's directory left empty goes too. A root
 * that cannot be looked at (no permission) counts as there. Returns the runs and bytes removed.
 */
export async function pruneGoneProjects(
  root: string = historyRoot(),
): Promise<{ count: number; bytes: number }> {
  let projects: string[];
  try {
    projects = readdirSync(root);
  } catch {
    return { count: 0, bytes: 0 };
  }
  let count = 0;
  let bytes = 0;
  for (const name of projects) {
    const projectDir = join(root, name);
    for (const run of savedRuns(projectDir)) {
      if (run.live || !gone(run.start.project_root)) continue;
      bytes += sizeOf(run.dir);
      await removeQuietly(run.dir);
      count++;
    }
    try {
      rmdirSync(projectDir); // only when empty: a run being created keeps it
    } catch {
      // Not empty, or gone already.
    }
  }
  return { count, bytes };
}

function gone(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR";
  }
}

/** Run directories without a readable record, and temporary ones, older than an hour. */
function abandoned(projectDir: string): string[] {
  const found: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(projectDir);
  } catch {
    return [];
  }
  for (const name of names) {
    const dir = join(projectDir, name);
    try {
      const stat = statSync(dir);
      if (!stat.isDirectory() || Date.now() - stat.mtimeMs < ABANDONED_AFTER_MS) continue;
      if (name.startsWith(".")) found.push(dir);
      else statSync(join(dir, RUN_FILE));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") found.push(dir);
    }
  }
  return found;
}

/** Bytes of the files in a run directory and its `steps/`. */
function sizeOf(dir: string): number {
  let total = 0;
  const walk = (path: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else {
        try {
          total += statSync(child).size;
        } catch {
          // Removed meanwhile (another hm pruning): it takes no room.
        }
      }
    }
  };
  walk(dir);
  return total;
}

async function removeQuietly(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    // Another hm removing it at the same moment; what is left goes next time.
  }
}
