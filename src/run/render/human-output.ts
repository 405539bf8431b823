/**
 * Where `hm run --format human` writes (README, "Running a pipeline";
 * docs/design.md, "Where a run's output goes"). The run's own lines (the banner, the
 * workspace line, the steps, the summary) are the command's output, so they
 * go to stdout: `hm run | tee ci.log` and `hm run > ci.log` keep them.
 * stderr carries only diagnostics (the logger's warnings and errors, hook
 * failures, errors), so `2>/dev/null` hides the noise and never the build.
 *
 * The progress view redraws in place, so it is drawn only when stdout is a
 * terminal; into a pipe or a file go plain lines, whatever stderr is: with
 * `hm run | tee ci.log` the screen shows what tee copies, the same lines the
 * file gets, and a view drawn on stderr at the same time would be torn by
 * them.
 */
import { isTTY, type Paint, paintFor } from "../../term.ts";
import { type HumanRenderer, plainRenderer } from "./plain-renderer.ts";
import { progressRenderer } from "./progress-renderer.ts";
import { streamSink } from "./sink.ts";
import type { SummaryOptions } from "./summary.ts";

interface OutputFacts {
  /** `--logs`. */
  readonly logs: boolean;
  /** A non-empty `CI`. */
  readonly ci: boolean;
  readonly stdoutIsTerminal: boolean;
  readonly stderrIsTerminal: boolean;
}

export interface HumanOutputPlan {
  readonly view: "progress" | "plain";
  /**
   * Diagnostics printed above the view instead of straight to stderr: only
   * while the view is live and stderr is a terminal too (the same screen,
   * where a line written past the view would be overwritten by its redraw).
   */
  readonly diagnosticsThroughView: boolean;
}

export function planHumanOutput(facts: OutputFacts): HumanOutputPlan {
  const progress = facts.stdoutIsTerminal && !facts.logs && !facts.ci;
  return {
    view: progress ? "progress" : "plain",
    diagnosticsThroughView: progress && facts.stderrIsTerminal,
  };
}

export interface HumanOutput {
  readonly renderer: HumanRenderer;
  /** Colour for the lines hm writes through `renderer` (on only when stdout is a terminal). */
  readonly paint: Paint;
  readonly diagnosticsThroughView: boolean;
}

/** The renderer for this process's stdout (`logs`: `--logs`). */
export function openHumanOutput(logs: boolean, summary: SummaryOptions = {}): HumanOutput {
  const ci = process.env.CI !== undefined && process.env.CI !== "";
  const plan = planHumanOutput({ logs, ci, stdoutIsTerminal: isTTY(1), stderrIsTerminal: isTTY(2) });
  const paint = paintFor(1);
  const sink = streamSink(process.stdout);
  const renderer =
    plan.view === "plain"
      ? plainRenderer(sink, paint, summary)
      : progressRenderer(
          sink,
          paint,
          () => ({ columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 }),
          undefined,
          summary,
        );
  return { renderer, paint, diagnosticsThroughView: plan.diagnosticsThroughView };
}
