/**
 * What hm and its pipeline-evaluation process say to each other over IPC.
 * The child runs code hm did not write, so everything it sends is checked
 * here before hm trusts it; the IR inside is checked again by parseIR.
 */
import * as v from "valibot";

/** hm → child: evaluate these pipeline modules of the project at `root`, in order. */
export const EvalRequestSchema = v.object({
  root: v.string(),
  now: v.number(),
  paths: v.array(v.string()),
  /** The time limit per file, in seconds: the child caps its CPU time a little above it. */
  limitSeconds: v.number(),
});
export type EvalRequest = v.InferOutput<typeof EvalRequestSchema>;

/** child → hm. */
export const EvalMessageSchema = v.variant("type", [
  /** The child starts evaluating this file (what a crash or the time limit is blamed on). */
  v.object({ type: v.literal("file"), path: v.string() }),
  v.object({
    type: v.literal("rendered"),
    path: v.string(),
    entries: v.array(v.unknown()),
    warnings: v.array(v.string()),
  }),
  v.object({
    type: v.literal("failed"),
    path: v.string(),
    warnings: v.array(v.string()),
    code: v.picklist(["E_PIPELINE_RENDER", "E_PIPELINE_INVALID"]),
    message: v.string(),
    hint: v.optional(v.string()),
  }),
  /** Every file answered; `installers` are the [key, command] pairs of src/pipeline/sdk/host-installers.ts. */
  v.object({ type: v.literal("done"), installers: v.array(v.tuple([v.string(), v.string()])) }),
]);
export type EvalMessage = v.InferOutput<typeof EvalMessageSchema>;

/** The envelope fields of a rendered pipeline; `definition` is left to parseIR. */
export const RenderedEntrySchema = v.object({
  slug: v.string(),
  name: v.string(),
  allow_manual: v.boolean(),
  triggers: v.array(v.record(v.string(), v.unknown())),
  definition: v.unknown(),
});
