/** The `--format json` event stream's schema (`docs/plugin-abi.md` plus hm's extras), strict: no unknown fields. */
import * as v from "valibot";

const uuid = v.pipe(v.string(), v.uuid());
const rfc3339 = v.pipe(v.string(), v.isoTimestamp());
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const stream = v.picklist(["stdout", "stderr"]);
/** `hm run --only`: on build_start and build_end of a run of part of the pipeline. */
const selection = v.optional(
  v.strictObject({ only: v.array(v.string()), matched: v.array(v.string()), pipeline_step_count: count }),
);

export const JsonEvent = v.variant("kind", [
  v.strictObject({
    kind: v.literal("build_start"),
    run_id: uuid,
    plan: v.strictObject({ step_count: count, chain_count: count, default_runner: v.string() }),
    started_at: rfc3339,
    selection,
    source: v.optional(
      v.strictObject({ branch: v.string(), commit: v.nullable(v.string()), message: v.nullable(v.string()) }),
    ),
  }),
  v.strictObject({
    kind: v.literal("step_queued"),
    step_id: uuid,
    key: v.string(),
    chain_idx: count,
    parent_key: v.nullable(v.string()),
    display_name: v.string(),
  }),
  v.strictObject({
    kind: v.literal("step_start"),
    step_id: uuid,
    runner: v.string(),
    image: v.nullable(v.string()),
  }),
  v.strictObject({ kind: v.literal("step_log"), step_id: uuid, stream, line: v.string(), ts: rfc3339 }),
  v.strictObject({ kind: v.literal("step_cache_hit"), step_id: uuid, key: v.string(), tag: v.string() }),
  v.strictObject({
    kind: v.literal("step_end"),
    step_id: uuid,
    exit_code: v.pipe(v.number(), v.integer()),
    duration_ms: count,
    snapshot: v.nullable(v.string()),
  }),
  v.strictObject({
    kind: v.literal("chain_failed"),
    chain_idx: count,
    failed_step_id: uuid,
    failed_step_key: v.string(),
    exit_code: v.pipe(v.number(), v.integer()),
    message: v.string(),
    ts: rfc3339,
  }),
  v.strictObject({
    kind: v.literal("step_skipped"),
    step_id: uuid,
    key: v.string(),
    reason: v.picklist(["dependency failed", "cancelled"]),
  }),
  v.strictObject({
    kind: v.literal("build_end"),
    exit_code: v.pipe(v.number(), v.integer()),
    duration_ms: count,
    selection,
  }),
]);
export type JsonEvent = v.InferOutput<typeof JsonEvent>;

/** Parses stdout line by line; every line must be one valid event. */
export function parseEventStream(stdout: string): JsonEvent[] {
  const lines = stdout.split("\n");
  if (lines.pop() !== "") throw new Error("the JSON stream does not end with a newline");
  return lines.map((line, i) => {
    const parsed = v.safeParse(JsonEvent, JSON.parse(line));
    if (!parsed.success)
      throw new Error(`line ${i + 1} is not a valid event: ${line}\n${v.summarize(parsed.issues)}`);
    return parsed.output;
  });
}

/** The log lines of the step with `key`, in order (of one stream, or both). */
export function stepLines(events: readonly JsonEvent[], key: string, stream?: "stdout" | "stderr"): string[] {
  const queued = events.find((e) => e.kind === "step_queued" && e.key === key);
  const id = queued?.kind === "step_queued" ? queued.step_id : undefined;
  return events.flatMap((e) =>
    e.kind === "step_log" && e.step_id === id && (stream === undefined || e.stream === stream)
      ? [e.line]
      : [],
  );
}
