/**
 * Where run history lives and what its records hold (`docs/design.md`, "Run
 * history"). One directory per project, one per run inside it:
 *
 *   <state dir>/history/<project key>/<run id>/
 *     run.json      who and what: written before the directory appears
 *     events.jsonl  every event, as `hm run --format json` prints it, but a
 *                   log line as `[step, stream, ts]`, its text in its step's
 *                   file (event-lines.ts)
 *     outline.jsonl the events but log lines (small: lists read it)
 *     steps/<key>.log  each step's output lines, stdout and stderr merged
 *     end.json      the verdict, written last: its absence means the run is
 *                   going, or ended without one (killed)
 */
import { join } from "node:path";
import * as v from "valibot";
import { stateDir } from "../../plugins/paths.ts";
import { projectKey } from "../project-key.ts";

export const RUN_FILE = "run.json";
export const END_FILE = "end.json";
export const EVENTS_FILE = "events.jsonl";
export const OUTLINE_FILE = "outline.jsonl";
export const STEPS_DIR = "steps";

export const RunStart = v.object({
  run_id: v.pipe(v.string(), v.uuid()),
  pipeline: v.string(),
  project_root: v.string(),
  started_at: v.pipe(v.string(), v.isoTimestamp()),
  /** The process writing the record, and its start time (clock ticks since boot; null off Linux), so a reused pid is not taken for it. */
  pid: v.pipe(v.number(), v.integer()),
  pid_start: v.nullable(v.number()),
  /** `hm run --only`: the names given, the steps that ran and the pipeline's; absent for a whole run. */
  only: v.optional(
    v.object({
      names: v.array(v.string()),
      steps: v.pipe(v.number(), v.integer()),
      of: v.pipe(v.number(), v.integer()),
    }),
  ),
});
export type RunStart = v.InferOutput<typeof RunStart>;

export const RunEnd = v.object({
  exit_code: v.pipe(v.number(), v.integer()),
  duration_ms: v.pipe(v.number(), v.minValue(0)),
  ended_at: v.pipe(v.string(), v.isoTimestamp()),
});
export type RunEnd = v.InferOutput<typeof RunEnd>;

export function historyRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), "history");
}

/** A project's history directory (its key: `project-key.ts`; a moved checkout starts afresh). */
export function projectHistoryDir(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(historyRoot(env), projectKey(projectRoot));
}

/**
 * A step's log file name: its key, with bytes outside `[A-Za-z0-9._-]` written
 * `%XX` (as the shell runner names step directories); a long key is cut and
 * given a hash of the whole, so every name fits a file system's 255 bytes.
 */
export function stepLogName(key: string): string {
  let name = "";
  for (const byte of new TextEncoder().encode(key)) {
    const c = String.fromCharCode(byte);
    name += /[A-Za-z0-9._-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (name === "" || name === "." || name === "..") name = name.replaceAll(".", "%2E") || "%";
  if (name.length > 150)
    name = `${name.slice(0, 100)}~${new Bun.CryptoHasher("sha256").update(key).digest("hex").slice(0, 16)}`;
  return `${name}.log`;
}

/** The short form of a run id people type and hm prints. */
export function shortRunId(runId: string): string {
  return runId.slice(0, 8);
}
