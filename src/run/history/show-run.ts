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
import { type HmEvent, toJsonLine } from "../events.ts";
import type { StepView } from "../render/build-state.ts";
import { plainRenderer } from "../render/plain-renderer.ts";
import type { TextSink } from "../render/sink.ts";
import { runOver, type SavedRun } from "./catalog.ts";
import { parseEventLine } from "./event-lines.ts";
import { OUTLINE_FILE, STEPS_DIR, stepLogName } from "./layout.ts";
import { LineReader } from "./line-reader.ts";
import { SavedEvents } from "./saved-events.ts";

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
  const oneStepText = options.format === "human" && step !== null;
  const stepFile = new LineReader(join(run.dir, STEPS_DIR, stepLogName(step?.key ?? "")));
  const events = new SavedEvents(run.dir);
  const handle = eventHandler(options);
  const stepEnds = step === null ? null : new LineReader(join(run.dir, OUTLINE_FILE));
  for (;;) {
    // Checked before reading: what was written before the run or step ended is read in this pass.
    const over =
      !options.follow || runOver(run) || (stepEnds !== null && step !== null && ended(stepEnds, step.id));
    if (oneStepText) {
      for (const batch of stepFile.batches()) {
        if (sink.closed) return "over";
        const pending = sink.write(`${batch.join("\n")}\n`);
        if (pending !== undefined) await pending;
      }
    } else {
      for (const batch of events.batches()) {
        for (const event of batch) {
          if (sink.closed) return "over";
          const pending = handle(event);
          if (pending !== undefined) await pending;
        }
      }
    }
    if (over) break;
    await Bun.sleep(options.pollMs ?? 100);
  }
  // A step's line cut by a kill is still its output.
  const cut = stepFile.unterminated();
  if (cut !== "" && oneStepText) await sink.write(`${cut}\n`);
  sink.flush();
  return runOver(run) ? "over" : "going";
}

function eventHandler(options: ShowOptions): (event: HmEvent) => void | Promise<void> {
  const { sink, step } = options;
  if (options.format === "json")
    return (event) => {
      if (step === null || concerns(event, step.id)) return sink.write(`${toJsonLine(event)}\n`);
    };
  const renderer = plainRenderer(sink, options.paint);
  return (event) => renderer.deliver(event);
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
