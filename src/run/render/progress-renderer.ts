/**
 * The progress view (reference §6.3), used when stderr is a terminal and
 * neither `--logs` nor a non-empty `CI` is set: a "pipeline" bar over a tree
 * of steps (a builds_in child under its parent) with spinners and elapsed
 * times, redrawn in place; logs are kept per step, not shown. At the end the
 * view is replaced by a summary, the failed steps' logs, and one verdict line.
 *
 * `progressFrame` and `progressSummary` are pure (state → lines) so they can
 * be checked as text; `progressRenderer` drives them on a terminal.
 */
import type { Paint } from "../../term.ts";
import type { HmEvent } from "../events.ts";
import { formatDuration } from "./format.ts";
import type { HumanRenderer } from "./plain-renderer.ts";
import type { TextSink } from "./sink.ts";

type Status = "queued" | "running" | "passed" | "failed" | "timed_out" | "cancelled" | "skipped" | "cached";

interface StepView {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly parentKey: string | null;
  status: Status;
  startedAt: number;
  durationMs: number;
  exitCode: number | null;
  logs: string[];
  droppedLogs: number;
}

export interface ProgressState {
  readonly steps: StepView[];
  readonly byId: Map<string, StepView>;
  buildStartedAt: number;
  /** Set by build_end. */
  result: { exitCode: number; durationMs: number } | null;
}

/** Lines of log kept per step for the replay of failed steps (the newest win). */
const MAX_KEPT_LOG_LINES = 2000;
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const BAR_WIDTH = 24;

export function newProgressState(): ProgressState {
  return { steps: [], byId: new Map(), buildStartedAt: Date.now(), result: null };
}

/** Applies one event to the state (times from `now`, so tests can pin them). */
export function applyEvent(state: ProgressState, event: HmEvent, now: number): void {
  const step = "step_id" in event ? state.byId.get(event.step_id) : undefined;
  switch (event.kind) {
    case "build_start":
      state.buildStartedAt = now;
      return;
    case "step_queued": {
      const view: StepView = {
        id: event.step_id,
        key: event.key,
        name: oneLine(event.display_name),
        parentKey: event.parent_key,
        status: "queued",
        startedAt: 0,
        durationMs: 0,
        exitCode: null,
        logs: [],
        droppedLogs: 0,
      };
      state.steps.push(view);
      state.byId.set(view.id, view);
      return;
    }
    case "step_start":
      if (step) {
        step.status = "running";
        step.startedAt = now;
      }
      return;
    case "step_log":
      if (step) {
        step.logs.push(event.line);
        if (step.logs.length > MAX_KEPT_LOG_LINES * 2) {
          step.droppedLogs += step.logs.length - MAX_KEPT_LOG_LINES;
          step.logs = step.logs.slice(-MAX_KEPT_LOG_LINES);
        }
      }
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
      if (step) step.status = "skipped";
      return;
    case "build_end":
      state.result = { exitCode: event.exit_code, durationMs: event.duration_ms };
      return;
  }
}

const isDone = (s: StepView) => s.status !== "queued" && s.status !== "running";

/** Steps in tree order: each builds_in child right under its parent, one level deeper. */
function treeOrder(state: ProgressState): { step: StepView; depth: number }[] {
  const children = new Map<string | null, StepView[]>();
  const keys = new Set(state.steps.map((s) => s.key));
  for (const step of state.steps) {
    const parent = step.parentKey !== null && keys.has(step.parentKey) ? step.parentKey : null;
    const list = children.get(parent) ?? [];
    list.push(step);
    children.set(parent, list);
  }
  const out: { step: StepView; depth: number }[] = [];
  const visit = (parent: string | null, depth: number) => {
    for (const step of children.get(parent) ?? []) {
      out.push({ step, depth });
      visit(step.key, depth + 1);
    }
  };
  visit(null, 0);
  return out;
}

/** Control characters (a multi-line command's newlines, tabs, escapes) would break the layout. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return text.replace(/[\x00-\x1f\x7f]+/g, " ");
}

function fit(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}

/** The live view: a root line and one line per step, at most `rows` lines, none wider than `columns`. */
export function progressFrame(
  state: ProgressState,
  now: number,
  tick: number,
  size: { columns: number; rows: number },
  paint: Paint,
): string[] {
  const spinner = SPINNER[tick % SPINNER.length] as string;
  const done = state.steps.filter(isDone).length;
  const total = state.steps.length;
  const counts = `${done}/${total} steps`;
  const elapsed = `(${formatDuration(now - state.buildStartedAt)})`;
  // The bar shrinks (down to nothing) so the root line never wraps: a wrapped line breaks the redraw.
  const barWidth = Math.max(0, Math.min(BAR_WIDTH, size.columns - 1 - (13 + counts.length + elapsed.length)));
  const filled = total === 0 ? 0 : Math.round((done / total) * barWidth);
  const bar = paint.cyan("━".repeat(filled)) + paint.dim("─".repeat(barWidth - filled));
  const rootText = `${paint.cyan(spinner)} ${paint.bold("pipeline")} ${barWidth > 0 ? `${bar} ` : ""}${counts} ${paint.dim(elapsed)}`;
  const root =
    visibleLength(rootText) < size.columns
      ? rootText
      : fit(`${spinner} pipeline ${counts}`, size.columns - 1);

  const stepLine = ({ step, depth }: { step: StepView; depth: number }): string => {
    const indent = "  ".repeat(Math.min(depth + 1, 8));
    const [glyph, suffix] = stepGlyph(step, now, spinner, paint);
    const room = size.columns - 1 - indent.length - 2 - visibleLength(suffix);
    // Too narrow for the timing: the name alone, cut to the width.
    if (room < 4) return `${indent}${glyph} ${fit(step.name, Math.max(1, size.columns - 3 - indent.length))}`;
    return `${indent}${glyph} ${fit(step.name, room)}${suffix}`;
  };
  const tree = treeOrder(state);
  const budget = Math.max(1, size.rows - 2);
  let shown = tree;
  if (tree.length > budget) {
    // Too tall for the terminal: running and failed steps first, then a count of the rest.
    const important = tree.filter(({ step }) => step.status === "running" || step.status === "failed");
    shown = important.slice(0, budget - 1);
    const hidden = tree.length - shown.length;
    return [root, ...shown.map(stepLine), paint.dim(`  … ${hidden} more steps`)];
  }
  return [root, ...shown.map(stepLine)];
}

function stepGlyph(step: StepView, now: number, spinner: string, paint: Paint): [string, string] {
  switch (step.status) {
    case "queued":
      return [paint.dim("·"), ""];
    case "running":
      return [paint.cyan(spinner), paint.dim(`  (${formatDuration(now - step.startedAt)})`)];
    case "passed":
      return [paint.green("✓"), paint.dim(`  (${formatDuration(step.durationMs)})`)];
    case "cached":
      return [paint.green("✓"), paint.dim("  (cached)")];
    case "failed":
      return [paint.red("✗"), paint.red(`  FAILED (exit ${step.exitCode})`)];
    case "timed_out":
      return [paint.red("✗"), paint.red(`  TIMED OUT (${formatDuration(step.durationMs)})`)];
    case "cancelled":
      return [paint.dim("-"), paint.dim("  (cancelled)")];
    case "skipped":
      return [paint.dim("-"), paint.dim("  (skipped)")];
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
function visibleLength(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/** What replaces the view at the end: per-step rows, failed steps' logs, the verdict. */
export function progressSummary(state: ProgressState, paint: Paint): string[] {
  const width = Math.max(0, ...state.steps.map((s) => [...s.name].length));
  const pad = (name: string) => name + " ".repeat(width - [...name].length);
  const lines = [""];
  for (const step of state.steps) {
    const [glyph, timing] = summaryCells(step, paint);
    lines.push(`  ${glyph} ${pad(step.name)}  ${timing}`);
  }
  const result = state.result;
  const failedSteps = state.steps.filter((s) => s.status === "failed" || s.status === "timed_out");
  if (result !== null && result.exitCode !== 0) {
    for (const step of failedSteps) {
      lines.push("", paint.red(`--- ${step.name} failed (exit ${step.exitCode}) ---`));
      if (step.droppedLogs > 0) lines.push(paint.dim(`… ${step.droppedLogs} earlier lines not shown`));
      lines.push(...step.logs);
    }
  }
  lines.push("");
  if (result === null) return lines;
  const took = formatDuration(result.durationMs);
  if (result.exitCode === 0) lines.push(paint.bold(paint.green(`✓ Build succeeded in ${took}`)));
  else if (result.exitCode === 130) lines.push(paint.bold(paint.red(`✗ Build cancelled after ${took}`)));
  else if (result.exitCode === 124) lines.push(paint.bold(paint.red(`✗ Build timed out after ${took}`)));
  else lines.push(paint.bold(paint.red(`✗ Build failed in ${took}`)));
  return lines;
}

function summaryCells(step: StepView, paint: Paint): [string, string] {
  const took = formatDuration(step.durationMs);
  switch (step.status) {
    case "passed":
      return [paint.green("✓"), took];
    case "cached":
      return [paint.green("✓"), "cached"];
    case "failed":
      return [paint.red("✗"), `${took}  exit ${step.exitCode}`];
    case "timed_out":
      return [paint.red("✗"), `${took}  timed out`];
    case "cancelled":
      return [paint.dim("-"), `${took}  cancelled`];
    default:
      return [paint.dim("-"), "—"];
  }
}

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

/** Drives the view on a terminal: redraws every `intervalMs` and on each event. */
export function progressRenderer(
  sink: TextSink,
  paint: Paint,
  size: () => TerminalSize,
  intervalMs = 80,
): HumanRenderer {
  const state = newProgressState();
  let drawn = 0;
  let tick = 0;
  let closed = false;
  let dirty = true;
  // Back to the frame's first line (cursor up: CPL is not understood by every terminal), clear below.
  const erase = () => (drawn > 0 ? `\r\x1b[${drawn}A\x1b[J` : "");
  const draw = () => {
    if (closed) return;
    const lines = progressFrame(state, Date.now(), tick++, size(), paint);
    void sink.write(`${erase()}${lines.join("\n")}\n`);
    drawn = lines.length;
    dirty = false;
  };
  const timer = setInterval(() => {
    if (dirty || state.steps.some((s) => s.status === "running")) draw();
    else tick++;
  }, intervalMs);
  void sink.write("\x1b[?25l"); // hide the cursor while the view is live
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    void sink.write(`${erase()}\x1b[?25h`);
    drawn = 0;
  };
  return {
    name: "progress view",
    deliver(event) {
      applyEvent(state, event, Date.now());
      dirty = true;
      if (event.kind === "build_end") {
        close();
        return sink.write(`${progressSummary(state, paint).join("\n")}\n`);
      }
    },
    note(line) {
      void sink.write(`${erase()}${line}\n`);
      drawn = 0;
      draw();
    },
    close,
  };
}
