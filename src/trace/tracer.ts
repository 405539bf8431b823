/**
 * hm's own tracer (`docs/design.md`, "Tracing"): spans of what a process does,
 * recorded only while `--debug-trace` asked for them. Off, every function
 * here is a check of one variable: no span object, no clock read, no write.
 * On, each span is written when it begins and again when it ends, one line
 * each (record.ts), so a process killed mid-span still leaves what it began.
 *
 * Spans run on tracks (a Trace Event Format `tid`): the process's main track,
 * or a named one (`onTrack`) that the async work started inside it inherits,
 * so each step's container calls and plugin calls sit under its own row.
 */
import type { TraceArgs } from "./record.ts";
import type { OpenSpan, Recorder } from "./recorder.ts";

export type { TraceArgs } from "./record.ts";
export type { OpenSpan } from "./recorder.ts";

const NOOP_SPAN: OpenSpan = { end() {} };

let recorder: Recorder | null = null;

/** Starts recording this process's spans with `into` (once; later calls are ignored). */
export function startTracing(into: Recorder): void {
  recorder ??= into;
}

/** Stops recording: spans still open are never ended (the assembler marks them unfinished). */
export function stopTracing(): void {
  recorder = null;
}

export function tracing(): boolean {
  return recorder !== null;
}

export function begin(name: string, args?: TraceArgs): OpenSpan {
  return recorder === null ? NOOP_SPAN : recorder.begin(name, args);
}

/** Runs `fn` inside a span; a promise's span ends when it settles (`failed` when it rejects). */
export function span<T>(name: string, fn: () => T, args?: TraceArgs): T {
  if (recorder === null) return fn();
  const open = recorder.begin(name, args);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    open.end({ failed: true });
    throw error;
  }
  if (!(result instanceof Promise)) {
    open.end();
    return result;
  }
  return result.then(
    (value: unknown) => {
      open.end();
      return value;
    },
    (error: unknown) => {
      open.end({ failed: true });
      throw error;
    },
  ) as T;
}

/** Runs `fn` with its spans (and those of the async work it starts) on the track `name`. */
export function onTrack<T>(name: string, fn: () => T): T {
  return recorder === null ? fn() : recorder.onTrack(name, fn);
}

/** Records that process `pid` of this trace ended (a build child). */
export function processExited(pid: number): void {
  recorder?.exited(pid);
}

/** Records this process's start-up (time origin → now) once: called where it dispatches its command. */
export function startupDone(): void {
  recorder?.startup();
}

/** A span begun now and ended by whichever of the pair a promise calls: `promise.then(...spanUntil(name))`. */
export function spanUntil(name: string, args?: TraceArgs): [() => void, () => void] {
  if (recorder === null) return NOOP_PAIR;
  const open = recorder.begin(name, args);
  return [() => open.end(), () => open.end({ failed: true })];
}

const NOOP_PAIR: [() => void, () => void] = [() => {}, () => {}];
