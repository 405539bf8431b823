/**
 * The plain line renderer (reference §6.2), used when stderr is not a
 * terminal, `CI` is set or `--logs` is given: one line per event, each step's
 * lines prefixed `[key]` in a colour of its own.
 */
import type { Paint } from "../../term.ts";
import type { EventConsumer } from "../event-bus.ts";
import type { HmEvent } from "../events.ts";
import { keyColor } from "./format.ts";
import type { TextSink } from "./sink.ts";

export interface HumanRenderer extends EventConsumer {
  /** A message from hm itself (a warning, a hook report), printed between event lines. */
  note(line: string): void;
  /** Stops timers and restores the terminal; idempotent. */
  close(): void;
}

export function plainRenderer(sink: TextSink, paint: Paint): HumanRenderer {
  const keys = new Map<string, string>();
  const prefix = (stepId: string) => {
    const key = keys.get(stepId) ?? "?";
    return keyColor(key, paint)(`[${key}]`);
  };
  const line = (event: HmEvent): string | null => {
    switch (event.kind) {
      case "build_start":
        return `build: ${event.plan.step_count} steps in ${event.plan.chain_count} chain(s)`;
      case "step_queued":
        keys.set(event.step_id, event.key);
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
          `chain ${event.chain_idx}: FAILED at step '${event.failed_step_key}' (exit=${event.exit_code}): ${event.message}`,
        );
      case "build_end":
        return `build: end exit=${event.exit_code} duration=${event.duration_ms}ms`;
    }
  };
  return {
    name: "plain output",
    deliver(event) {
      const text = line(event);
      if (text !== null) return sink.write(`${text}\n`);
    },
    note(text) {
      void sink.write(`${text}\n`);
    },
    close() {},
  };
}
