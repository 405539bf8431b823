/**
 * What evaluate.py says to hm, one JSON message a line on its stdout. The
 * process runs code hm did not write: every line is checked here, and the
 * rendered entries again by load.ts and parseIR.
 */
import * as v from "valibot";

export const PythonMessageSchema = v.variant("type", [
  /** Evaluating (or rendering the pipelines of) this file now: what a time-out or crash is blamed on. */
  v.object({ type: v.literal("file"), path: v.string() }),
  /** One rendered pipeline, declared in `path`. */
  v.object({ type: v.literal("entry"), path: v.string(), entry: v.unknown() }),
  /** Evaluation stopped; `message` already names the file and line. */
  v.object({ type: v.literal("failed"), message: v.string(), hint: v.optional(v.string()) }),
  v.object({ type: v.literal("python_too_old"), version: v.string() }),
  /** The [key, command] pairs of toolchain install steps (src/pipeline/sdk/host-installers.ts). */
  v.object({ type: v.literal("installers"), pairs: v.array(v.tuple([v.string(), v.string()])) }),
  /** The evaluator finished (after a failure too). */
  v.object({ type: v.literal("done") }),
]);
export type PythonMessage = v.InferOutput<typeof PythonMessageSchema>;
