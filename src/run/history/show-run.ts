/**
 * Prints a saved run (`hm logs`): all of it as the plain output of `hm run
 * --logs` would have shown it (replayed from its events, summary included),
 * one step's lines as the step printed them, or the saved events as `--format
 * json` printed them. Following, it polls the files until the run is over
 * (its verdict written, or its process gone) or, for one step, until the
 * step ended.
 */
import { join } from "node:path";
import type { Paint } from "../../term.ts";
import type { HmEvent } from "../events.ts";
import type { StepView } from "../render/build-state.ts";
import { plainRenderer } from "../render/plain-renderer.ts";
import type { TextSink } from "../render/sink.ts";
import { runOver, type SavedRun } from "./catalog.ts";
import { parseEventLine } from "./event-lines.ts";
import { EVENTS_FILE, OUTLINE_FILE, STEPS_DIR, stepLogName } from "./layout.ts";
import { LineReader } from "./line-reader.ts";

export interface ShowOptions {
  readonly run: SavedRun;
  readonly step: StepView | null;
  readonly format: "human" | "json";
  readonly follow: boolean;
  readonly sink: TextSink;
  readonly paint: Paint;
  readonly pollMs?: number;
}

/** How the run stood when printing stopped. */
export type ShownState = "over" | "going";

export async function showRun(options: ShowOptions): Promise<ShownState> {
  const { run, step, sink } = options;
  const source = new LineReader(
    options.format === "human" && step !== null
      ? join(run.dir, STEPS_DIR, stepLogName(step.key))
      : join(run.dir, EVENTS_FILE),
  );
  const handle = lineHandler(options);
  const stepEnds = step === null ? null : new LineReader(join(run.dir, OUTLINE_FILE));
  for (;;) {
    // Checked before reading: what was written before the run or step ended is read in this pass.
    const over =
      !options.follow || runOver(run) || (stepEnds !== null && step !== null && ended(stepEnds, step.id));
    for (const batch of source.batches()) {
      for (const line of batch) {
        if (sink.closed) return "over";
        const pending = handle(line);
        if (pending !== undefined) await pending;
      }
    }
    if (over) break;
    await Bun.sleep(options.pollMs ?? 100);
  }
  // A step line cut by a kill is still its output; a cut event line is no event.
  const cut = source.unterminated();
  if (cut !== "" && options.format === "human" && step !== null) await sink.write(`${cut}\n`);
  sink.flush();
  return runOver(run) ? "over" : "going";
}

function lineHandler(options: ShowOptions): (line: string) => void | Promise<void> {
  const { sink, step } = options;
  if (options.format === "json") {
    if (step === null) return (line) => sink.write(`${line}\n`);
    return (line) => {
      // Most lines are not the step's: only those holding its id are parsed.
      if (!line.includes(step.id)) return;
      const event = parseEventLine(line);
      if (event !== null && concerns(event, step.id)) return sink.write(`${line}\n`);
    };
  }
  if (step !== null) return (line) => sink.write(`${line}\n`);
  const renderer = plainRenderer(sink, options.paint);
  return (line) => {
    const event = parseEventLine(line);
    if (event !== null) return renderer.deliver(event);
  };
}

function concerns(event: HmEvent, stepId: string): boolean {
  if ("step_id" in event) return event.step_id === stepId;
  return event.kind === "chain_failed" && event.failed_step_id === stepId;
}

/** Whether the outline, read on from where the last call stopped, shows the step over. */
function ended(outline: LineReader, stepId: string): boolean {
  for (const batch of outline.batches()) {
    for (const line of batch) {
      if (!line.includes(stepId)) continue;
      const event = parseEventLine(line);
      if (
        event !== null &&
        "step_id" in event &&
        event.step_id === stepId &&
        (event.kind === "step_end" || event.kind === "step_skipped" || event.kind === "step_cache_hit")
      )
        return true;
    }
  }
  return false;
}
