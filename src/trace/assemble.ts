/**
 * A fragment (fragment.ts) made into the trace file: a Trace Event Format
 * JSON object that chrome://tracing and Perfetto open. A span that began and
 * never ended (its process was killed, or is still running when the owner
 * finishes) becomes a complete event up to the moment its process was seen
 * to end (an `exited` record), else `endUs`, marked `unfinished`. A
 * line that does not parse (torn by a kill mid-write) is left out and counted.
 */
import * as v from "valibot";
import { type TraceArgs, type TraceRecord, TraceRecordSchema } from "./record.ts";

interface TraceEvent {
  readonly ph: "X" | "M";
  readonly name: string;
  readonly cat?: string;
  readonly ts?: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: TraceArgs;
}

export interface TraceFile {
  readonly traceEvents: TraceEvent[];
  readonly displayTimeUnit: "ms";
  readonly otherData: Readonly<Record<string, string | number>>;
}

export function assembleTrace(fragment: string, endUs: number, about: Record<string, string>): TraceFile {
  const records: TraceRecord[] = [];
  let skipped = 0;
  for (const line of fragment.split("\n")) {
    if (line === "") continue;
    const parsed = v.safeParse(TraceRecordSchema, parseJson(line));
    if (parsed.success) records.push(parsed.output);
    else skipped++;
  }
  const ended = new Set(records.flatMap((r) => (r.ph === "X" ? [`${r.pid}:${r.id}`] : [])));
  const exits = new Map(records.flatMap((r) => (r.ph === "exited" ? [[r.pid, r.ts] as const] : [])));
  const meta: TraceEvent[] = [];
  const spans: TraceEvent[] = [];
  for (const record of records) {
    if (record.ph === "M") meta.push(record);
    else if (record.ph === "X") {
      const { id: _, ...event } = record;
      spans.push(event);
    } else if (record.ph === "B" && !ended.has(`${record.pid}:${record.id}`)) {
      const { id: _, ph: __, ...event } = record;
      const dur = Math.max(0, (exits.get(record.pid) ?? endUs) - record.ts);
      spans.push({ ...event, ph: "X", dur, args: { ...record.args, unfinished: true } });
    }
  }
  // Parents before their children when two spans start in the same microsecond.
  spans.sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0) || (b.dur ?? 0) - (a.dur ?? 0));
  return {
    traceEvents: [...meta, ...spans],
    displayTimeUnit: "ms",
    otherData: { ...about, ...(skipped > 0 ? { skipped_lines: skipped } : {}) },
  };
}

/** The file's text: one event a line, so it reads (and diffs) line by line too. */
export function traceText(trace: TraceFile): string {
  const events = trace.traceEvents.map((e) => JSON.stringify(e)).join(",\n");
  return `{"traceEvents":[\n${events}\n],\n"displayTimeUnit":"ms",\n"otherData":${JSON.stringify(trace.otherData)}}\n`;
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
