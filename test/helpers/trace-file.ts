/**
 * Reads a `--debug-trace` file as chrome://tracing and Perfetto read it, and
 * checks it is the Trace Event Format hm promises (`docs/design.md`,
 * "Tracing"): `{"traceEvents": [...]}` of complete events (`X`: name, ts,
 * dur, pid, tid, args) and metadata events (`M`) naming processes and tracks.
 */
import { expect } from "bun:test";
import { readFileSync } from "node:fs";

export interface SpanEvent {
  ph: "X";
  name: string;
  cat: string;
  ts: number;
  dur: number;
  pid: number;
  tid: number;
  args: Record<string, unknown>;
}

export interface Trace {
  spans: SpanEvent[];
  /** process_name per pid. */
  processes: Map<number, string>;
  /** thread_name per "pid:tid". */
  tracks: Map<string, string>;
}

const META_NAMES = ["process_name", "process_sort_index", "thread_name", "thread_sort_index"];

export function readTrace(path: string): Trace {
  const file = JSON.parse(readFileSync(path, "utf8")) as { traceEvents?: unknown };
  expect(Array.isArray(file.traceEvents)).toBe(true);
  const trace: Trace = { spans: [], processes: new Map(), tracks: new Map() };
  for (const event of file.traceEvents as Record<string, unknown>[]) {
    expect(typeof event.name).toBe("string");
    expect(Number.isInteger(event.pid)).toBe(true);
    expect(Number.isInteger(event.tid)).toBe(true);
    expect(typeof event.args).toBe("object");
    if (event.ph === "M") {
      expect(META_NAMES).toContain(event.name as string);
      const args = event.args as { name?: unknown };
      if (event.name === "process_name") trace.processes.set(event.pid as number, String(args.name));
      if (event.name === "thread_name") trace.tracks.set(`${event.pid}:${event.tid}`, String(args.name));
      continue;
    }
    expect(event.ph).toBe("X");
    expect(Number.isFinite(event.ts)).toBe(true);
    expect(Number.isFinite(event.dur)).toBe(true);
    expect(event.dur as number).toBeGreaterThanOrEqual(0);
    trace.spans.push(event as unknown as SpanEvent);
  }
  return trace;
}

/** The one span called `name` (fails when there is none, or more than one). */
export function only(trace: Trace, name: string): SpanEvent {
  const found = trace.spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0] as SpanEvent;
}

export function within(inner: SpanEvent, outer: SpanEvent): boolean {
  return inner.ts >= outer.ts && inner.ts + inner.dur <= outer.ts + outer.dur;
}
