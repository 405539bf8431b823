/**
 * The end of a human run's output, shared by the progress view and the plain
 * lines: a row per step, the last log lines of each failed or timed-out step,
 * each followed by the command that prints its whole saved log (README, "Logs
 * and history"), and the verdict last, so the end of the output says what failed.
 */
import type { Paint } from "../../term.ts";
import type { Selection } from "../events.ts";
import type { BuildState, StepView } from "./build-state.ts";
import { formatDuration } from "./format.ts";

export interface SummaryOptions {
  /** The command that prints a step's whole saved log, or null when there is none (run history off or broken). */
  readonly fullLogCommand?: (step: StepView) => string | null;
}

export function buildSummary(state: BuildState, paint: Paint, options: SummaryOptions = {}): string[] {
  // A loop, not Math.max(...): spreading a very large build's steps as arguments overflows the stack.
  let width = 0;
  for (const step of state.steps) width = Math.max(width, [...step.name].length);
  const pad = (name: string) => name + " ".repeat(width - [...name].length);
  const lines = [""];
  for (const step of state.steps) {
    const [glyph, outcome] = summaryCells(step, paint);
    lines.push(`  ${glyph} ${pad(step.name)}  ${outcome}`);
  }
  for (const step of state.steps) {
    if (step.status !== "failed" && step.status !== "timed_out") continue;
    const what = step.status === "timed_out" ? "timed out" : "failed";
    lines.push("", paint.red(`--- ${step.name} ${what} (exit ${step.exitCode}) ---`));
    if (step.log.dropped > 0) lines.push(paint.dim(`… ${step.log.dropped} earlier lines not shown`));
    lines.push(...step.log.lines());
    const command = options.fullLogCommand?.(step) ?? null;
    if (command !== null) lines.push(paint.dim(`full log: ${command}`));
  }
  lines.push("");
  const result = state.result;
  if (result === null) return lines;
  const took = formatDuration(result.durationMs);
  const part = state.selection === null ? "" : ` ${partOf(state.selection, state.steps.length)}`;
  if (result.exitCode === 0) lines.push(paint.bold(paint.green(`✓ Build succeeded in ${took}${part}`)));
  else if (result.exitCode === 130)
    lines.push(paint.bold(paint.red(`✗ Build cancelled after ${took}${part}`)));
  else if (result.exitCode === 124)
    lines.push(paint.bold(paint.red(`✗ Build timed out after ${took}${part}`)));
  else lines.push(paint.bold(paint.red(`✗ Build failed in ${took}${part}`)));
  return lines;
}

/** `(only 2 of 5 steps: --only test)`: a green verdict must not read as the whole pipeline's. */
export function partOf(selection: Selection, steps: number): string {
  // A label with spaces is quoted, as it was typed.
  const asked = selection.only.map((name) => `--only ${/[\s'"]/.test(name) ? `'${name}'` : name}`).join(" ");
  return `(only ${steps} of ${selection.pipeline_step_count} steps: ${asked})`;
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
    case "skipped":
      return [paint.dim("-"), `skipped (${step.skipReason})`];
    default:
      return [paint.dim("-"), "—"];
  }
}
