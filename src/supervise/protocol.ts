/**
 * What a build child tells its supervisor (supervisor.ts) on its report
 * pipe: one JSON object per line, written synchronously as things happen,
 * so whatever the child had said is in the pipe when it dies. The
 * supervisor keeps only the last state: the pipeline being loaded, the run,
 * the plugin calls in flight, and the verdict once there is one.
 */
import * as v from "valibot";

/** The child's end of the report pipe (fd 3: after stdin, stdout and stderr). */
export const REPORT_FD = 3;

export const ReportLine = v.variant("t", [
  /** Loading the pipeline files of `dir` (null: no `.hm/`) starts, or ended. */
  v.object({ t: v.literal("load"), dir: v.nullable(v.string()) }),
  v.object({ t: v.literal("loaded") }),
  /** A run started: its records are under this id; `docker` when a step runs on the engine. */
  v.object({ t: v.literal("run"), run: v.string(), docker: v.boolean() }),
  /** A plugin verb started: its build-scope KV rows are owned by `scope`. */
  v.object({ t: v.literal("verb"), scope: v.string() }),
  /** A plugin call began (`method` is the host table's number; `step` the step's name, if any). */
  v.object({
    t: v.literal("call"),
    id: v.number(),
    plugin: v.string(),
    method: v.number(),
    step: v.nullable(v.string()),
  }),
  /** That call returned (native code no longer runs for it). */
  v.object({ t: v.literal("done"), id: v.number() }),
  /** The command finished and this is its exit code. */
  v.object({ t: v.literal("verdict"), code: v.number() }),
]);
export type ReportLine = v.InferOutput<typeof ReportLine>;
