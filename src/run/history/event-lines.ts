/**
 * The events file's lines (`docs/design.md`, "Run history"), both ways. Each
 * is either an event as `hm run --format json` prints it (`toJsonLine`), or a
 * log record `[step, stream, ts]`: the step by its position in queue order,
 * 0 for stdout and 1 for stderr, the time in milliseconds; its text is the
 * next line of that step's file. A log line holding a newline (no runner
 * makes one) is saved whole, as an event, and as one line with spaces for
 * newlines in the step's file, so the two stay in step. Reading back checks
 * every line with valibot: a file on disk is input like any other (another hm
 * version, a write cut short, an edit by hand).
 */
import * as v from "valibot";
import { type HmEvent, toJsonLine } from "../events.ts";

type StepLog = Extract<HmEvent, { kind: "step_log" }>;

/** What one step_log adds to the step's file and to the events file. */
export function logRecord(stepIndex: number, event: StepLog): { stepLine: string; eventLine: string } {
  if (event.line.includes("\n"))
    return { stepLine: `${event.line.replaceAll("\n", " ")}\n`, eventLine: `${toJsonLine(event)}\n` };
  return {
    stepLine: `${event.line}\n`,
    eventLine: `[${stepIndex},${event.stream === "stdout" ? 0 : 1},${event.ts}]\n`,
  };
}

const time = v.pipe(
  v.string(),
  v.isoTimestamp(),
  v.transform((text) => Date.parse(text)),
);
const int = v.pipe(v.number(), v.integer());

/** `hm run --only`'s part (src/run/events.ts `Selection`). */
const Selection = v.object({
  only: v.array(v.string()),
  matched: v.array(v.string()),
  pipeline_step_count: int,
});

const SavedEvent = v.variant("kind", [
  v.object({
    kind: v.literal("build_start"),
    run_id: v.string(),
    plan: v.object({ step_count: int, chain_count: int, default_runner: v.string() }),
    started_at: time,
    selection: v.optional(Selection),
    source: v.optional(
      v.object({ branch: v.string(), commit: v.nullable(v.string()), message: v.nullable(v.string()) }),
    ),
  }),
  v.object({
    kind: v.literal("step_queued"),
    step_id: v.string(),
    key: v.string(),
    chain_idx: int,
    parent_key: v.nullable(v.string()),
    display_name: v.string(),
  }),
  v.object({
    kind: v.literal("step_start"),
    step_id: v.string(),
    runner: v.string(),
    image: v.nullable(v.string()),
  }),
  v.object({
    kind: v.literal("step_log"),
    step_id: v.string(),
    stream: v.picklist(["stdout", "stderr"]),
    line: v.string(),
    ts: time,
  }),
  v.object({ kind: v.literal("step_cache_hit"), step_id: v.string(), key: v.string(), tag: v.string() }),
  v.object({
    kind: v.literal("step_end"),
    step_id: v.string(),
    exit_code: int,
    duration_ms: v.number(),
    snapshot: v.nullable(v.string()),
  }),
  v.object({
    kind: v.literal("chain_failed"),
    chain_idx: int,
    failed_step_id: v.string(),
    failed_step_key: v.string(),
    exit_code: int,
    message: v.string(),
    ts: time,
  }),
  v.object({
    kind: v.literal("step_skipped"),
    step_id: v.string(),
    key: v.string(),
    reason: v.picklist(["dependency failed", "cancelled"]),
  }),
  v.object({
    kind: v.literal("build_end"),
    exit_code: int,
    duration_ms: v.number(),
    selection: v.optional(Selection),
  }),
]);

const LogRecord = v.tuple([
  v.pipe(v.number(), v.integer(), v.minValue(0)),
  v.picklist([0, 1]),
  v.pipe(v.number(), v.integer()),
]);

export type SavedLine =
  | { readonly kind: "event"; readonly event: HmEvent }
  | {
      readonly kind: "log";
      readonly step: number;
      readonly stream: "stdout" | "stderr";
      readonly ts: number;
    };

/** What a line of the events file holds, or null for one that is neither (skipped: the rest is still worth showing). */
export function parseSavedLine(line: string): SavedLine | null {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  if (Array.isArray(json)) {
    const record = v.safeParse(LogRecord, json);
    if (!record.success) return null;
    const [step, stream, ts] = record.output;
    return { kind: "log", step, stream: stream === 0 ? "stdout" : "stderr", ts };
  }
  const parsed = v.safeParse(SavedEvent, json);
  return parsed.success ? { kind: "event", event: parsed.output } : null;
}

/** The event an outline line holds (outlines have no log records), or null. */
export function parseEventLine(line: string): HmEvent | null {
  const saved = parseSavedLine(line);
  return saved?.kind === "event" ? saved.event : null;
}
