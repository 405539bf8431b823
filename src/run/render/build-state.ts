/**
 * What the human renderers know of a build, folded from its events: each
 * step's name, status, timings and the tail of its log. The progress view
 * draws it live; both it and the plain output end with its summary
 * (`summary.ts`).
 */
import type { HmEvent, Selection, SkipReason } from "../events.ts";
import { oneLine } from "./format.ts";
import { LogTail } from "./log-tail.ts";

type StepStatus =
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
  /** The step's latest log line with something to read, as it came; the progress view shows it while the step runs. */
  latest: string;
}

/** Steps that share a display name, and the key prefix length that tells them apart. */
interface Namesakes {
  readonly steps: StepView[];
  /** Key characters shown after the name (`make #c9c335`); only grows as steps join. */
  chars: number;
  /** The key prefixes of `chars` characters in use, to see a clash in one look-up. */
  prefixes: Set<string>;
}

export interface BuildState {
  readonly steps: StepView[];
  readonly byId: Map<string, StepView>;
  /** Steps by display name, to tell apart those that share one. */
  readonly byDisplayName: Map<string, Namesakes>;
  /** Steps per status, kept as events arrive: views ask "how many done" on every frame. */
  readonly counts: Record<StepStatus, number>;
  /** Log lines kept per step for the summary. */
  readonly tailLines: number;
  buildStartedAt: number;
  /** `hm run --only`: set by build_start, so the verdict can say only a part ran. */
  selection: Selection | null;
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
    counts: {
      queued: 0,
      running: 0,
      passed: 0,
      failed: 0,
      timed_out: 0,
      cancelled: 0,
      skipped: 0,
      cached: 0,
    },
    tailLines,
    buildStartedAt: Date.now(),
    selection: null,
    result: null,
  };
}

/** Steps that have ended one way or another. */
export function doneCount(state: BuildState): number {
  return state.steps.length - state.counts.queued - state.counts.running;
}

function setStatus(state: BuildState, step: StepView, status: StepStatus): void {
  state.counts[step.status]--;
  state.counts[status]++;
  step.status = status;
}

/** Applies one event to the state (times from `now`, so tests can pin them). */
export function applyEvent(state: BuildState, event: HmEvent, now: number): void {
  const step = "step_id" in event ? state.byId.get(event.step_id) : undefined;
  switch (event.kind) {
    case "build_start":
      state.buildStartedAt = now;
      state.selection = event.selection ?? null;
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
        latest: "",
      };
      state.steps.push(view);
      state.counts.queued++;
      state.byId.set(view.id, view);
      const namesakes = state.byDisplayName.get(displayName);
      if (namesakes === undefined)
        state.byDisplayName.set(displayName, { steps: [view], chars: 0, prefixes: new Set() });
      else joinNamesakes(namesakes, view, displayName);
      return;
    }
    case "step_start":
      if (step) {
        setStatus(state, step, "running");
        step.startedAt = now;
      }
      return;
    case "step_log":
      if (step === undefined) return;
      step.log.push(event.line);
      // A blank line would blank the view's line for the step until the next one.
      if (/\S/.test(event.line)) step.latest = event.line;
      return;
    case "step_cache_hit":
      if (step) setStatus(state, step, "cached");
      return;
    case "step_end":
      if (step) {
        step.durationMs = event.duration_ms;
        step.exitCode = event.exit_code;
        setStatus(
          state,
          step,
          event.exit_code === 0 ? "passed" : event.exit_code === 130 ? "cancelled" : "failed",
        );
      }
      return;
    case "chain_failed": {
      const failed = state.byId.get(event.failed_step_id);
      if (
        failed &&
        event.exit_code === 124 &&
        event.message.startsWith(`step '${event.failed_step_key}' timed out`)
      )
        setStatus(state, failed, "timed_out");
      return;
    }
    case "step_skipped":
      if (step) {
        setStatus(state, step, "skipped");
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
 * the first line that shows one. A step joining costs one look-up unless its
 * prefix clashes; then the prefix grows by a character and every name of the
 * group is redone, at most once per key character: 50 000 steps of one name
 * (`true`) stay linear.
 */
function joinNamesakes(group: Namesakes, step: StepView, displayName: string): void {
  group.steps.push(step);
  if (group.chars === 0) {
    // The second of a name: from now on every step of the group shows a prefix.
    group.chars = MIN_KEY_CHARS;
    group.prefixes = new Set(group.steps.map((s) => s.key.slice(0, group.chars)));
  } else {
    const prefix = step.key.slice(0, group.chars);
    if (!group.prefixes.has(prefix)) {
      group.prefixes.add(prefix);
      step.name = `${displayName} #${prefix}`;
      return;
    }
  }
  let longest = 0;
  for (const s of group.steps) longest = Math.max(longest, s.key.length);
  while (group.chars < longest && group.prefixes.size < group.steps.length) {
    group.chars++;
    group.prefixes = new Set(group.steps.map((s) => s.key.slice(0, group.chars)));
  }
  for (const s of group.steps) s.name = `${displayName} #${s.key.slice(0, group.chars)}`;
}
