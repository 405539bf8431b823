/**
 * The lines of a trace fragment: Trace Event Format events, one JSON object a
 * line, as the processes of one trace append them. `B` says a span began
 * (with the id its `X` repeats when it ends), `X` is a finished span, `M`
 * names a process or a track, and hm's own `exited` says when a process
 * ended (its spans still open end there). Read back through `TraceRecordSchema`, since a
 * fragment is written by other processes and may end in a torn line.
 */
import * as v from "valibot";

const ArgValue = v.union([v.string(), v.number(), v.boolean(), v.null()]);
const Args = v.record(v.string(), ArgValue);
export type TraceArgs = Readonly<Record<string, string | number | boolean | null>>;

const Base = {
  name: v.string(),
  pid: v.pipe(v.number(), v.integer()),
  tid: v.pipe(v.number(), v.integer()),
  args: Args,
};

export const TraceRecordSchema = v.variant("ph", [
  v.object({ ph: v.literal("B"), id: v.number(), cat: v.string(), ts: v.number(), ...Base }),
  v.object({
    ph: v.literal("X"),
    id: v.number(),
    cat: v.string(),
    ts: v.number(),
    dur: v.number(),
    ...Base,
  }),
  v.object({ ph: v.literal("M"), ...Base }),
  v.object({ ph: v.literal("exited"), pid: v.pipe(v.number(), v.integer()), ts: v.number() }),
]);

export type TraceRecord =
  | { ph: "B"; id: number; name: string; cat: string; ts: number; pid: number; tid: number; args: TraceArgs }
  | {
      ph: "X";
      id: number;
      name: string;
      cat: string;
      ts: number;
      dur: number;
      pid: number;
      tid: number;
      args: TraceArgs;
    }
  | { ph: "M"; name: string; pid: number; tid: number; args: TraceArgs }
  | { ph: "exited"; pid: number; ts: number };
