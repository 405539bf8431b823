/**
 * What the human renderers know of a build, folded from its events: each
 * step's name, status, timings and the tail of its log. The progress view
 * draws it live; both it and the plain output end with its summary
 * (`summary.ts`).
 */
import type { HmEvent, SkipReason } from "../events.ts";
import { oneLine } from "./format.ts";
import { LogTail } from "./log-tail.ts";

export type StepStatus =
  | "queued"
  | "running"
  | "passed"
  | "failed"
  | "timed_out"
  | "cancelled"
  | "skipped"
  | "cached";

export interface StepView {
  readonly id: string;
  readonly key: string;
  /**
   * The step's display name (its label, else its command cut short), on one
   * line; when another step has the same display name, followed by the start
   * of its key (`make #c9c335`), so the two can be told apart.
   */
  name: string;
  readonly parentKey: string | null;
  status: StepStatus;
  startedAt: number;
  durationMs: number;
  exitCode: number | null;
  skipReason: SkipReason | null;
  readonly log: LogTail;
}

export interface BuildState {
  readonly steps: StepView[];
  readonly byId: Map<string, StepView>;
  /** Steps by display name, to tell apart those that share one. */
  readonly byDisplayName: Map<string, StepView[]>;
  /** Log lines kept per step for the summary. */
  readonly tailLines: number;
  buildStartedAt: number;
  /** Set by build_end. */
  result: { exitCode: number; durationMs: number } | null;
}

/** Shortest key prefix that still tells a step from others of its display name. */
const MIN_KEY_CHARS = 6;

export function newBuildState(tailLines: number): BuildState {
  return {
    steps: [],
    byId: new Map(),
    byDisplayName: new Map(),
    tailLines,
    buildStartedAt: Date.now(),
    result: null,
  };
}

/** Applies one event to the state (times from `now`, so tests can pin them). */
export function applyEvent(state: BuildState, event: HmEvent, now: number): void {
  const step = "step_id" in event ? state.byId.get(event.step_id) : undefined;
  switch (event.kind) {
    case "build_start":
      state.buildStartedAt = now;
      return;
    case "step_queued": {
      // An empty command has an empty display name: the key is the only name it has.
      const displayName = oneLine(event.display_name) || event.key;
      const view: StepView = {
        id: event.step_id,
        key: event.key,
        name: displayName,
        parentKey: event.parent_key,
        status: "queued",
        startedAt: 0,
        durationMs: 0,
        exitCode: null,
        skipReason: null,
        log: new LogTail(state.tailLines),
      };
      state.steps.push(view);
      state.byId.set(view.id, view);
      const namesakes = state.byDisplayName.get(displayName) ?? [];
      namesakes.push(view);
      state.byDisplayName.set(displayName, namesakes);
      if (namesakes.length > 1) tellApart(namesakes, displayName);
      return;
    }
    case "step_start":
      if (step) {
        step.status = "running";
        step.startedAt = now;
      }
      return;
    case "step_log":
      step?.log.push(event.line);
      return;
    case "step_cache_hit":
      if (step) step.status = "cached";
      return;
    case "step_end":
      if (step) {
        step.durationMs = event.duration_ms;
        step.exitCode = event.exit_code;
        step.status = event.exit_code === 0 ? "passed" : event.exit_code === 130 ? "cancelled" : "failed";
      }
      return;
    case "chain_failed": {
      const failed = state.byId.get(event.failed_step_id);
      if (
        failed &&
        event.exit_code === 124 &&
        event.message.startsWith(`step '${event.failed_step_key}' timed out`)
      )
        failed.status = "timed_out";
      return;
    }
    case "step_skipped":
      if (step) {
        step.status = "skipped";
        step.skipReason = event.reason;
      }
      return;
    case "build_end":
      state.result = { exitCode: event.exit_code, durationMs: event.duration_ms };
      return;
  }
}

/**
 * Names steps that share a display name `<name> #<key prefix>`, the prefix
 * as long as it takes to differ (keys are unique, so the whole key always does).
 * The scheduler queues every step before any starts, so names settle before
 * the first line that shows one.
 */
function tellApart(namesakes: StepView[], displayName: string): void {
  const longest = Math.max(...namesakes.map((s) => s.key.length));
  let chars = MIN_KEY_CHARS;
  while (chars < longest && new Set(namesakes.map((s) => s.key.slice(0, chars))).size < namesakes.length)
    chars++;
  for (const step of namesakes) step.name = `${displayName} #${step.key.slice(0, chars)}`;
}
