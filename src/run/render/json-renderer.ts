/** `--format json`: one compact JSON object per event on stdout, written (and flushed) per event. */
import type { EventConsumer } from "../event-bus.ts";
import { toJsonLine } from "../events.ts";
import type { TextSink } from "./sink.ts";

export function jsonRenderer(sink: TextSink): EventConsumer {
  return { name: "json output", deliver: (event) => sink.write(`${toJsonLine(event)}\n`) };
}
