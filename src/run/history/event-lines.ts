/**
 * Saved event lines back into events: the inverse of `toJsonLine` (events.ts),
 * checked with valibot, since a file on disk is input like any other (another
 * hm version, a truncated write, an edit by hand).
 */
import * as v from "valibot";
import type { HmEvent } from "../events.ts";

const time = v.pipe(
  v.string(),
  v.isoTimestamp(),
  v.transform((text) => Date.parse(text)),
);
const int = v.pipe(v.number(), v.integer());

const SavedEvent = v.variant("kind", [
  v.object({
    kind: v.literal("build_start"),
    run_id: v.string(),
    plan: v.object({ step_count: int, chain_count: int, default_runner: v.string() }),
    started_at: time,
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
  v.object({ kind: v.literal("build_end"), exit_code: int, duration_ms: v.number() }),
]);

/** The event a saved line holds, or null for a line that is not one (skipped: the rest is still worth showing). */
export function parseEventLine(line: string): HmEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = v.safeParse(SavedEvent, json);
  return parsed.success ? parsed.output : null;
}
