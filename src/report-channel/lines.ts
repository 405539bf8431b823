/**
 * What a build child tells its supervisor (src/supervise/supervisor.ts) on its report
 * pipe: one JSON object per line, written synchronously as things happen,
 * so whatever the child had said is in the pipe when it dies. The
 * supervisor keeps only the last state: the pipeline being loaded, the run,
 * and the verdict once there is one. Plugin calls, many per second, go to
 * the call table instead (call-table.ts).
 */
import * as v from "valibot";

/** The child's end of the report pipe (fd 3: after stdin, stdout and stderr). */
export const REPORT_FD = 3;

export const ReportLine = v.variant("t", [
  /** Loading the pipeline files of `dir` (null: no `.hm/`) starts, or ended. */
  v.object({ t: v.literal("load"), dir: v.nullable(v.string()) }),
  v.object({ t: v.literal("loaded") }),
  /** The child has mapped the call table: its file may be unlinked. */
  v.object({ t: v.literal("ready") }),
  /** A run started: its records are under this id; `docker` when a step runs on the engine. */
  v.object({ t: v.literal("run"), run: v.string(), docker: v.boolean() }),
  /** A plugin verb started: its build-scope KV rows are owned by `scope`. */
  v.object({ t: v.literal("verb"), scope: v.string() }),
  /** The command finished and this is its exit code. */
  v.object({ t: v.literal("verdict"), code: v.number() }),
]);
export type ReportLine = v.InferOutput<typeof ReportLine>;
