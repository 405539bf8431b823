/**
 * The plain line renderer (README), used when stdout is not a
 * terminal, `CI` is set or `--logs` is given (`human-output.ts`): one line per event, each step's
 * lines prefixed `[name]` (its label, else its command cut short: the name
 * the progress view shows) in a colour of its own. It ends with the build's
 * summary (`summary.ts`), so a failure thousands of lines up is restated,
 * with the failed step's last lines, at the end of the output.
 */
import type { Paint } from "../../term.ts";
import type { EventConsumer } from "../event-bus.ts";
import type { HmEvent } from "../events.ts";
import { applyEvent, newBuildState } from "./build-state.ts";
import { keyColor } from "./format.ts";
import type { TextSink } from "./sink.ts";
import { buildSummary, type SummaryOptions } from "./summary.ts";

export interface HumanRenderer extends EventConsumer {
  /** A message from hm itself (a warning, a hook report), printed between event lines. */
  note(line: string): void;
  /** Stops timers and restores the terminal; idempotent. */
  close(): void;
}

/**
 * Log lines per failed step in the summary: every line was printed above
 * it already, so the summary restates only the end, where errors usually are.
 */
const PLAIN_TAIL_LINES = 20;

export function plainRenderer(sink: TextSink, paint: Paint, summary: SummaryOptions = {}): HumanRenderer {
  const state = newBuildState(PLAIN_TAIL_LINES);
  const prefix = (stepId: string) => {
    const step = state.byId.get(stepId);
    if (step === undefined) return "[?]";
    return keyColor(step.key, paint)(`[${step.name}]`);
  };
  const nameOf = (stepId: string, key: string) => state.byId.get(stepId)?.name ?? key;
  const line = (event: HmEvent): string | null => {
    switch (event.kind) {
      case "build_start":
        return `build: ${event.plan.step_count} steps in ${event.plan.chain_count} chain(s)`;
      case "step_queued":
        return null;
      case "step_start":
        return `${prefix(event.step_id)} start (runner=${event.runner}${event.image === null ? "" : ` image=${event.image}`})`;
      case "step_log":
        return `${prefix(event.step_id)} ${event.line}`;
      case "step_cache_hit":
        return `${prefix(event.step_id)} cache hit (${event.tag})`;
      case "step_end":
        return `${prefix(event.step_id)} end exit=${event.exit_code} duration=${event.duration_ms}ms`;
      case "step_skipped":
        return `${prefix(event.step_id)} skipped (${event.reason})`;
      case "chain_failed":
        return paint.red(
          `chain ${event.chain_idx}: FAILED at step '${nameOf(event.failed_step_id, event.failed_step_key)}' (exit=${event.exit_code}): ${event.message}`,
        );
      case "build_end":
        return [
          `build: end exit=${event.exit_code} duration=${event.duration_ms}ms`,
          ...buildSummary(state, paint, summary),
        ].join("\n");
    }
  };
  return {
    name: "plain output",
    deliver(event) {
      applyEvent(state, event, Date.now());
      const text = line(event);
      if (text !== null) return sink.write(`${text}\n`);
    },
    note(text) {
      void sink.write(`${text}\n`);
    },
    close() {
      sink.flush(); // a forced exit may follow at once
    },
  };
}
