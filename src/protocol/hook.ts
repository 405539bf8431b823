/**
 * Lifecycle hooks (`docs/plugin-abi.md`): the event a hook is shown and what it
 * answers. Only a `before` hook's `abort` can stop a build.
 */
import { type Codec, struct, tagged, unitEnum } from "./codec.ts";
import type { Encodable } from "./encodable.ts";
import { type BuildEvent, buildEvent } from "./events.ts";
import { decodeMessage, encodeMessage } from "./message.ts";
import { string } from "./primitives.ts";

export type HookPhase = "before" | "after";
export const hookPhase: Codec<HookPhase> = unitEnum("HookPhase", ["before", "after"]);

export interface HookEvent {
  event: BuildEvent;
  phase: HookPhase;
}

export type HookOutcome = { kind: "continue" } | { kind: "abort"; reason: string };

const hookEvent: Codec<HookEvent> = struct({ event: buildEvent, phase: hookPhase });
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
