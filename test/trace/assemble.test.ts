/**
 * The trace file made from a fragment (src/trace/assemble.ts): a torn last
 * line is left out and counted, a span that never ended ends where its
 * process was seen to end (else at the end), and the tracer records nothing
 * until a trace is started.
 */
import { expect, test } from "bun:test";
import { assembleTrace, traceText } from "../../src/trace/assemble.ts";
import { begin, span, tracing } from "../../src/trace/tracer.ts";

const line = (record: object) => `${JSON.stringify(record)}\n`;

test("spans that never ended end where their process ended; a torn line is counted, not trusted", () => {
  const fragment = [
    line({ ph: "M", name: "process_name", pid: 1, tid: 1, args: { name: "hm (supervisor)" } }),
    line({ ph: "B", id: 1, name: "done", cat: "hm", ts: 100, pid: 2, tid: 1, args: {} }),
    line({ ph: "X", id: 1, name: "done", cat: "hm", ts: 100, dur: 5, pid: 2, tid: 1, args: { n: 1 } }),
    line({ ph: "B", id: 2, name: "killed", cat: "hm", ts: 110, pid: 2, tid: 3, args: { step: "x" } }),
    line({ ph: "exited", pid: 2, ts: 150 }),
    line({ ph: "B", id: 1, name: "owner's open span", cat: "hm", ts: 120, pid: 1, tid: 1, args: {} }),
    '{"ph":"X","id":9,"name":"to',
  ].join("");
  const trace = assembleTrace(fragment, 200, { hm_version: "test" });
  expect(trace.traceEvents).toEqual([
    { ph: "M", name: "process_name", pid: 1, tid: 1, args: { name: "hm (supervisor)" } },
    { ph: "X", name: "done", cat: "hm", ts: 100, dur: 5, pid: 2, tid: 1, args: { n: 1 } },
    {
      ph: "X",
      name: "killed",
      cat: "hm",
      ts: 110,
      dur: 40,
      pid: 2,
      tid: 3,
      args: { step: "x", unfinished: true },
    },
    {
      ph: "X",
      name: "owner's open span",
      cat: "hm",
      ts: 120,
      dur: 80,
      pid: 1,
      tid: 1,
      args: { unfinished: true },
    },
  ]);
  expect(trace.otherData).toEqual({ hm_version: "test", skipped_lines: 1 });
  expect(JSON.parse(traceText(trace))).toEqual(JSON.parse(JSON.stringify(trace)));
});

test("without a trace the tracer is off: one shared no-op span, the function's own result", async () => {
  expect(tracing()).toBe(false);
  expect(begin("a")).toBe(begin("b", { x: 1 }));
  const value = { v: 1 };
  expect(span("s", () => value)).toBe(value);
  const promise = Promise.resolve(2);
  expect(span("p", () => promise)).toBe(promise);
});
