/**
 * What a tracing process records with (tracer.ts): spans written when they
 * begin and when they end, tracks kept per async context, and the
 * process's start-up. Loaded only when a trace was asked for.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { TraceArgs, TraceRecord } from "./record.ts";

export interface OpenSpan {
  /** Ends the span, adding `args` to those it began with; a second call does nothing. */
  end(args?: TraceArgs): void;
}

/** Microseconds since the epoch, the clock every hm process of one trace shares. */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** The main track of every process. */
const MAIN_TID = 1;

export class Recorder {
  private nextSpan = 1;
  private readonly tracks = new Map<string, number>();
  private readonly current = new AsyncLocalStorage<number>();
  private startupDone = false;

  constructor(
    private readonly write: (record: TraceRecord) => void,
    private readonly pid: number,
    processName: string,
    sortIndex: number,
  ) {
    this.meta("process_name", MAIN_TID, { name: processName });
    this.meta("process_sort_index", MAIN_TID, { sort_index: sortIndex });
    this.meta("thread_name", MAIN_TID, { name: "main" });
    this.meta("thread_sort_index", MAIN_TID, { sort_index: 0 });
  }

  begin(name: string, args: TraceArgs | undefined): OpenSpan {
    const id = this.nextSpan++;
    const tid = this.current.getStore() ?? MAIN_TID;
    const ts = nowUs();
    const began = args ?? {};
    this.write({ ph: "B", id, name, cat: "hm", ts, pid: this.pid, tid, args: began });
    let open = true;
    return {
      end: (more) => {
        if (!open) return;
        open = false;
        const all = more === undefined ? began : { ...began, ...more };
        this.write({ ph: "X", id, name, cat: "hm", ts, dur: nowUs() - ts, pid: this.pid, tid, args: all });
      },
    };
  }

  onTrack<T>(name: string, fn: () => T): T {
    let tid = this.tracks.get(name);
    if (tid === undefined) {
      tid = MAIN_TID + 1 + this.tracks.size;
      this.tracks.set(name, tid);
      this.meta("thread_name", tid, { name });
      this.meta("thread_sort_index", tid, { sort_index: tid });
    }
    return this.current.run(tid, fn);
  }

  /** Another process of the trace ended now (a build child): what it left open ends here. */
  exited(pid: number): void {
    this.write({ ph: "exited", pid, ts: nowUs() });
  }

  /** From the process's start (its time origin) to now, once. */
  startup(): void {
    if (this.startupDone) return;
    this.startupDone = true;
    const ts = Math.round(performance.timeOrigin * 1000);
    const id = this.nextSpan++;
    const dur = nowUs() - ts;
    this.write({ ph: "X", id, name: "start-up", cat: "hm", ts, dur, pid: this.pid, tid: MAIN_TID, args: {} });
  }

  private meta(name: string, tid: number, args: TraceArgs): void {
    this.write({ ph: "M", name, pid: this.pid, tid, args });
  }
}
