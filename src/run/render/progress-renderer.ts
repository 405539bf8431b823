/**
 * The progress view (README), used when stdout is a terminal and
 * neither `--logs` nor a non-empty `CI` is set (`human-output.ts`): a "pipeline" bar over a tree
 * of steps (a builds_in child under its parent) with spinners and elapsed
 * times and each running step's latest log line, redrawn in place; the rest
 * of the log is kept per step, not shown. At the end the
 * view is replaced by the build's summary (`summary.ts`).
 *
 * `progressFrame` is pure (state → lines) so it can be checked as text;
 * `progressRenderer` drives it on a terminal.
 */
import type { Paint } from "../../term.ts";
import { applyEvent, type BuildState, doneCount, newBuildState, type StepView } from "./build-state.ts";
import { formatDuration } from "./format.ts";
import type { HumanRenderer } from "./plain-renderer.ts";
import type { TextSink } from "./sink.ts";
import { buildSummary, type SummaryOptions } from "./summary.ts";
import { fitColumns, visibleText } from "./terminal-text.ts";

/**
 * Log lines kept per step for the summary. Nothing of the log was on screen
 * before it, so it shows much more than the plain output's summary does.
 */
export const PROGRESS_TAIL_LINES = 2000;
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const BAR_WIDTH = 24;

/**
 * Steps in tree order: each builds_in child right under its parent, one level
 * deeper. Walked with a stack of its own, not recursion: a builds_in chain
 * 100 000 steps deep is a real pipeline, and that deep a call stack overflows.
 */
function treeOrder(state: BuildState): { step: StepView; depth: number }[] {
  const children = new Map<string | null, StepView[]>();
  const keys = new Set(state.steps.map((s) => s.key));
  for (const step of state.steps) {
    const parent = step.parentKey !== null && keys.has(step.parentKey) ? step.parentKey : null;
    const list = children.get(parent) ?? [];
    list.push(step);
    children.set(parent, list);
  }
  const out: { step: StepView; depth: number }[] = [];
  // Siblings are pushed last-first, so the first comes off the stack first.
  const stack: { step: StepView; depth: number }[] = [];
  const pushChildren = (parent: string | null, depth: number) => {
    const list = children.get(parent) ?? [];
    for (let i = list.length - 1; i >= 0; i--) stack.push({ step: list[i] as StepView, depth });
  };
  pushChildren(null, 0);
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    out.push(next);
    pushChildren(next.step.key, next.depth + 1);
  }
  return out;
}

function fit(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}

/** The live view: a root line and one line per step, at most `rows` lines, none wider than `columns`. */
export function progressFrame(
  state: BuildState,
  now: number,
  tick: number,
  size: { columns: number; rows: number },
  paint: Paint,
): string[] {
  const spinner = SPINNER[tick % SPINNER.length] as string;
  const done = doneCount(state);
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
    const name = fit(step.name, room);
    return `${indent}${glyph} ${name}${suffix}${latestLine(step, room - visibleLength(name), paint)}`;
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

/** Columns the latest log line needs to be worth showing, after its two-space gap. */
const MIN_LATEST_COLUMNS = 8;

/**
 * A running step's latest log line, dimmed, after two spaces, in `room`
 * columns: what the step is doing now. Cut to fit (the line must not wrap),
 * escapes and control characters out (`terminal-text.ts`); nothing when it
 * would not fit `MIN_LATEST_COLUMNS` or the step has printed nothing yet.
 */
function latestLine(step: StepView, room: number, paint: Paint): string {
  if (step.status !== "running" || step.latest === "" || room - 2 < MIN_LATEST_COLUMNS) return "";
  const text = visibleText(step.latest);
  return text === "" ? "" : `  ${paint.dim(fitColumns(text, room - 2))}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
function visibleLength(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

/** Drives the view on a terminal: redraws every `intervalMs` and on each event. */
export function progressRenderer(
  sink: TextSink,
  paint: Paint,
  size: () => TerminalSize,
  intervalMs = 80,
  summary: SummaryOptions = {},
): HumanRenderer {
  const state = newBuildState(PROGRESS_TAIL_LINES);
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
    if (dirty || state.counts.running > 0) draw();
    else tick++;
  }, intervalMs);
  void sink.write("\x1b[?25l"); // hide the cursor while the view is live
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    void sink.write(`${erase()}\x1b[?25h`);
    sink.flush(); // a forced exit may follow at once: the cursor must come back
    drawn = 0;
  };
  return {
    name: "progress view",
    deliver(event) {
      applyEvent(state, event, Date.now());
      dirty = true;
      if (event.kind === "build_end") {
        close();
        return sink.write(`${buildSummary(state, paint, summary).join("\n")}\n`);
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
