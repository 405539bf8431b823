/**
 * A saved run's events, read back from its events file and step files
 * (event-lines.ts): each log record becomes the step_log event it stands for,
 * its text the next line of its step's file. Reads on from where the last call
 * stopped, so a follower calls it again as the run goes.
 */
import { join } from "node:path";
import type { HmEvent } from "../events.ts";
import { parseSavedLine } from "./event-lines.ts";
import { EVENTS_FILE, STEPS_DIR, stepLogName } from "./layout.ts";
import { LineQueue, LineReader } from "./line-reader.ts";

interface QueuedStep {
  readonly id: string;
  readonly key: string;
  lines: LineQueue | null;
}

export class SavedEvents {
  private readonly events: LineReader;
  /** In queue order: log records name their step by position. */
  private readonly steps: QueuedStep[] = [];
  private readonly byId = new Map<string, QueuedStep>();

  constructor(private readonly dir: string) {
    this.events = new LineReader(join(dir, EVENTS_FILE));
  }

  /** The events saved since the last call, in batches. */
  *batches(): Generator<HmEvent[]> {
    for (const batch of this.events.batches()) {
      const out: HmEvent[] = [];
      for (const line of batch) {
        const saved = parseSavedLine(line);
        if (saved === null) continue;
        if (saved.kind === "event") {
          const event = saved.event;
          if (event.kind === "step_queued") {
            const step = { id: event.step_id, key: event.key, lines: null };
            this.steps.push(step);
            this.byId.set(step.id, step);
          } else if (event.kind === "step_log") {
            // Saved whole, and as a line of its step's file, which it uses up.
            const step = this.byId.get(event.step_id);
            if (step !== undefined) this.linesOf(step).next();
          }
          out.push(event);
          continue;
        }
        const step = this.steps[saved.step];
        const text = step === undefined ? null : this.linesOf(step).next();
        if (step === undefined || text === null) continue;
        out.push({ kind: "step_log", step_id: step.id, stream: saved.stream, line: text, ts: saved.ts });
      }
      yield out;
    }
  }

  private linesOf(step: QueuedStep): LineQueue {
    step.lines ??= new LineQueue(join(this.dir, STEPS_DIR, stepLogName(step.key)));
    return step.lines;
  }
}
