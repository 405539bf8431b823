/**
 * Build events (`docs/plugin-abi.md`): what a run reports as it goes, to the
 * renderers, to lifecycle hooks, and from plugins through `emit_event`.
 */
import { type Codec, option, struct, tagged, unitEnum } from "./codec.ts";
import type { Encodable } from "./encodable.ts";
import { decodeMessage, encodeMessage } from "./message.ts";
import { i32, string, u64 } from "./primitives.ts";
import { timestamp, uuid } from "./scalars.ts";

export type StdStream = "stdout" | "stderr";
export const stdStream: Codec<StdStream> = unitEnum("StdStream", ["stdout", "stderr"]);

interface PlanSummary {
  step_count: bigint;
  chain_count: bigint;
  default_runner: string;
}

export type BuildEvent =
  | { kind: "build_start"; run_id: string; plan: PlanSummary; started_at: number }
  /** `chain_idx` is the step's position within its chain (unlike `chain_failed.chain_idx`). */
  | { kind: "step_queued"; step_id: string; key: string; chain_idx: bigint }
  | { kind: "step_start"; step_id: string; runner: string; image: string | null }
  | { kind: "step_log"; step_id: string; stream: StdStream; line: string; ts: number }
  | { kind: "step_cache_hit"; step_id: string; key: string; tag: string }
  | { kind: "step_end"; step_id: string; exit_code: number; duration_ms: bigint; snapshot: string | null }
  | {
      kind: "chain_failed";
      chain_idx: bigint;
      failed_step_id: string;
      failed_step_key: string;
      exit_code: number;
      message: string;
      ts: number;
    }
  | { kind: "build_end"; exit_code: number; duration_ms: bigint };

/**
 * The events a lifecycle hook can subscribe to (no `chain_failed`). `step_logs` (protocol 3) is
 * `step_log` lines in batches, one hook call for many lines (`docs/plugin-abi.md`, §1).
 */
export type HookEventKind =
  | "build_start"
  | "step_queued"
  | "step_start"
  | "step_log"
  | "step_cache_hit"
  | "step_end"
  | "build_end"
  | "step_logs";

export const hookEventKind: Codec<HookEventKind> = unitEnum("HookEventKind", [
  "build_start",
  "step_queued",
  "step_start",
  "step_log",
  "step_cache_hit",
  "step_end",
  "build_end",
  "step_logs",
]);

const planSummary: Codec<PlanSummary> = struct({ step_count: u64, chain_count: u64, default_runner: string });

/** BuildEvent's variants in wire order; hook.ts appends the hook-only `step_logs`. */
export const buildEventVariants = {
  build_start: { run_id: uuid, plan: planSummary, started_at: timestamp },
  step_queued: { step_id: uuid, key: string, chain_idx: u64 },
  step_start: { step_id: uuid, runner: string, image: option(string) },
  step_log: { step_id: uuid, stream: stdStream, line: string, ts: timestamp },
  step_cache_hit: { step_id: uuid, key: string, tag: string },
  step_end: { step_id: uuid, exit_code: i32, duration_ms: u64, snapshot: option(string) },
  chain_failed: {
    chain_idx: u64,
    failed_step_id: uuid,
    failed_step_key: string,
    exit_code: i32,
    message: string,
    ts: timestamp,
  },
  build_end: { exit_code: i32, duration_ms: u64 },
};

export const buildEvent: Codec<BuildEvent> = tagged("BuildEvent", buildEventVariants);

export function encodeBuildEvent(event: Encodable<BuildEvent>): Uint8Array {
  return encodeMessage("BuildEvent", buildEvent, event);
}

export function decodeBuildEvent(bytes: Uint8Array): BuildEvent {
  return decodeMessage("BuildEvent", buildEvent, bytes);
}
