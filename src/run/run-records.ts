/**
 * What a run leaves on disk, and the reaper of runs that died (`docs/design.md`,
 * "A verdict only from a finished build"). Each run owns `<state dir>/runs/<run id>/` (workspace archive, spill
 * files) holding `owner.json`: hm's pid and every other path the run may
 * create (each plugin runner's `${TMPDIR:-/tmp}/hm-<runner>-<run id>/`,
 * src/runner/run-directory.ts). A normal
 * run removes all of it at the end; after a `kill -9` the next `hm run` (or
 * `hm gc`) finds the pid gone and removes it, first killing the process
 * groups its plugins recorded there (process-groups.ts). Records are 0600 in
 * 0700 directories: they name paths and processes of this user only.
 */

import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { writeFileAtomically } from "../atomic-file.ts";
import { KvStore } from "../plugins/kv-store.ts";
import { stateDir } from "../plugins/paths.ts";
import { processRunning } from "../process-alive.ts";
import { runnerRunDirectoriesOf } from "../runner/run-directory.ts";
import { killRecordedGroups } from "./process-groups.ts";

const Owner = v.object({
  pid: v.number(),
  started_at: v.string(),
  paths: v.array(v.string()),
});
type Owner = v.InferOutput<typeof Owner>;

export function runsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), "runs");
}

interface RunDirectory {
  readonly path: string;
  /** Notes a step that started, so its step-scope KV rows can be dropped if hm is killed. */
  recordStep(stepId: string): void;
  /** The run and the steps it started so far, for their KV rows. */
  started(): ReapedRun;
  /** Kills the process groups the run's plugins recorded (a forced exit, before it leaves). */
  killProcesses(): void;
  /** Removes the run directory and every path recorded for it, killing recorded groups first. */
  remove(): void;
}

/** A dead run the reaper removed: its id and the steps it had started. */
export interface ReapedRun {
  readonly runId: string;
  readonly stepIds: string[];
}

const STEPS_FILE = "steps";

/** `paths`: what the run's runners may create outside the run directory, removed with it. */
export function createRunDirectory(
  runId: string,
  paths: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): RunDirectory {
  const runs = runsDir(env);
  const path = join(runs, runId);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(runs, 0o700); // made by an hm that did not yet make it private
  const owner: Owner = {
    pid: process.pid,
    started_at: new Date().toISOString(),
    paths: [...paths],
  };
  // The reaper never reads half a record.
  writeFileAtomically(join(path, "owner.json"), `${JSON.stringify(owner)}\n`, 0o600);
  return {
    path,
    recordStep: (stepId) => appendFileSync(join(path, STEPS_FILE), `${stepId}\n`, { mode: 0o600 }),
    started: () => ({ runId, stepIds: readSteps(path) }),
    killProcesses: () => killProcesses(owner),
    remove: () => removeRun(path, owner),
  };
}

function killProcesses(owner: Owner | null): void {
  for (const extra of owner?.paths ?? []) killRecordedGroups(extra);
}

function removeRun(path: string, owner: Owner | null): void {
  killProcesses(owner);
  for (const extra of owner?.paths ?? []) rmSync(extra, { recursive: true, force: true });
  rmSync(path, { recursive: true, force: true });
}

/**
 * Removes what runs whose hm process is gone left behind; returns the run ids
 * reaped. A run directory without an owner file is left alone for an hour
 * (its run may be starting right now).
 */
export function reapDeadRuns(env: NodeJS.ProcessEnv = process.env, limit = 100): ReapedRun[] {
  const dir = runsDir(env);
  if (!existsSync(dir)) return [];
  const reaped: ReapedRun[] = [];
  for (const runId of readdirSync(dir).slice(0, limit)) {
    const path = join(dir, runId);
    const owner = readOwner(path);
    if (owner === "starting" || (owner !== null && processRunning(owner.pid))) continue;
    const stepIds = readSteps(path);
    removeRun(path, owner);
    reaped.push({ runId, stepIds });
  }
  return reaped;
}

/**
 * Removes what one run left whose hm process is known to be gone (its
 * supervisor saw it die): recorded process groups, paths, the directory.
 * Returns the run and its started steps, for their KV rows.
 */
export function reapRun(runId: string, env: NodeJS.ProcessEnv = process.env): ReapedRun {
  const path = join(runsDir(env), runId);
  const owner = readOwner(path);
  const stepIds = readSteps(path);
  removeRun(
    path,
    owner === "starting" || owner === null
      ? { pid: 0, started_at: "", paths: runnerRunDirectoriesOf(runId) }
      : owner,
  );
  return { runId, stepIds };
}

function readSteps(runPath: string): string[] {
  try {
    return readFileSync(join(runPath, STEPS_FILE), "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/** Runs whose hm process is still alive (their containers and images must be left alone). */
export function liveRunIds(env: NodeJS.ProcessEnv = process.env): Set<string> {
  const dir = runsDir(env);
  if (!existsSync(dir)) return new Set();
  return new Set(
    readdirSync(dir).filter((runId) => {
      const owner = readOwner(join(dir, runId));
      return owner === "starting" || (owner !== null && processRunning(owner.pid));
    }),
  );
}

/** The run's owner; null when the record is unusable; "starting" when it may not be written yet. */
function readOwner(runPath: string): Owner | null | "starting" {
  const file = join(runPath, "owner.json");
  try {
    if (!existsSync(file)) return Date.now() - statSync(runPath).mtimeMs > 3_600_000 ? null : "starting";
    const parsed = v.safeParse(Owner, JSON.parse(readFileSync(file, "utf8")));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}

/** Drops the KV rows of runs that are over (no-op for none, so no database is opened). */
export function forgetRuns(kvPath: string, runs: readonly ReapedRun[]): void {
  if (runs.length === 0) return;
  const kv = new KvStore(kvPath);
  try {
    for (const run of runs) kv.dropRun(run.runId, run.stepIds);
  } finally {
    kv.close();
  }
}
