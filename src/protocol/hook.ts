/**
 * Lifecycle hooks (`docs/plugin-abi.md`): the event a hook is shown and what it
 * answers. Only a `before` hook's `abort` can stop a build.
 */
import { type Codec, struct, tagged, unitEnum, vec } from "./codec.ts";
import type { Encodable } from "./encodable.ts";
import { type BuildEvent, buildEventVariants, type StdStream, stdStream } from "./events.ts";
import { decodeMessage, encodeMessage } from "./message.ts";
import { string } from "./primitives.ts";
import { timestamp, uuid } from "./scalars.ts";

export type HookPhase = "before" | "after";
export const hookPhase: Codec<HookPhase> = unitEnum("HookPhase", ["before", "after"]);

/** One line of a `step_logs` batch: a `step_log` event's fields. */
export interface StepLogLine {
  step_id: string;
  stream: StdStream;
  line: string;
  ts: number;
}

/**
 * Protocol 3: many `step_log` lines in one hook call, for hooks subscribed to `step_logs`. It is
 * BuildEvent variant 8 only inside a HookEvent: `emit_event` still takes the protocol-2 BuildEvent.
 */
export type StepLogsEvent = { kind: "step_logs"; lines: StepLogLine[] };

export interface HookEvent {
  event: BuildEvent | StepLogsEvent;
  phase: HookPhase;
}

export type HookOutcome = { kind: "continue" } | { kind: "abort"; reason: string };

const stepLogLine: Codec<StepLogLine> = struct({
  step_id: uuid,
  stream: stdStream,
  line: string,
  ts: timestamp,
});
const hookBuildEvent: Codec<BuildEvent | StepLogsEvent> = tagged("BuildEvent", {
  ...buildEventVariants,
  step_logs: { lines: vec(stepLogLine, "lines") },
});
const hookEvent: Codec<HookEvent> = struct({ event: hookBuildEvent, phase: hookPhase });
const hookOutcome: Codec<HookOutcome> = tagged("HookOutcome", { continue: {}, abort: { reason: string } });

export function encodeHookEvent(event: Encodable<HookEvent>): Uint8Array {
  return encodeMessage("HookEvent", hookEvent, event);
}

export function decodeHookEvent(bytes: Uint8Array): HookEvent {
  return decodeMessage("HookEvent", hookEvent, bytes);
}

export function encodeHookOutcome(outcome: Encodable<HookOutcome>): Uint8Array {
  return encodeMessage("HookOutcome", hookOutcome, outcome);
}

export function decodeHookOutcome(bytes: Uint8Array): HookOutcome {
  return decodeMessage("HookOutcome", hookOutcome, bytes);
}
