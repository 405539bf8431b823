/** The plain, JSON and progress renderers against expected text. */
import { expect, test } from "bun:test";
import type { HmEvent } from "../../src/run/events.ts";
import { applyEvent, newBuildState } from "../../src/run/render/build-state.ts";
import { formatDuration, keyColor } from "../../src/run/render/format.ts";
import { jsonRenderer } from "../../src/run/render/json-renderer.ts";
import { LogTail } from "../../src/run/render/log-tail.ts";
import { plainRenderer } from "../../src/run/render/plain-renderer.ts";
import { PROGRESS_TAIL_LINES, progressFrame } from "../../src/run/render/progress-renderer.ts";
import { memorySink, streamSink } from "../../src/run/render/sink.ts";
import { buildSummary } from "../../src/run/render/summary.ts";
import { paintFor } from "../../src/term.ts";

const plain = paintFor(2); // tests run without a terminal on stderr: no colour
const T = Date.UTC(2026, 10, 25, 12, 0, 0);

/** install → (lint, test builds_in install); test fails; deploy after test is skipped. */
const events: HmEvent[] = [
  {
    kind: "build_start",
    run_id: "r1",
    plan: { step_count: 4, chain_count: 3, default_runner: "shell" },
    started_at: T,
  },
  {
    kind: "step_queued",
    step_id: "a",
    key: "install",
    chain_idx: 0,
    parent_key: null,
    display_name: "Install",
  },
  {
    kind: "step_queued",
    step_id: "b",
    key: "lint",
    chain_idx: 0,
    parent_key: "install",
    display_name: "lint",
  },
  {
    kind: "step_queued",
    step_id: "c",
    key: "test",
    chain_idx: 0,
    parent_key: "install",
    display_name: "bun test",
  },
  {
    kind: "step_queued",
    step_id: "d",
    key: "deploy",
    chain_idx: 0,
    parent_key: null,
    display_name: "deploy",
  },
  { kind: "step_start", step_id: "a", runner: "shell", image: null },
  { kind: "step_log", step_id: "a", stream: "stdout", line: "installed 3 packages", ts: T + 10 },
  { kind: "step_end", step_id: "a", exit_code: 0, duration_ms: 1250, snapshot: "shell:r1/install" },
  { kind: "step_start", step_id: "b", runner: "shell", image: "oven/bun:1" },
  { kind: "step_start", step_id: "c", runner: "shell", image: null },
  { kind: "step_log", step_id: "c", stream: "stderr", line: "expected 1 to be 2", ts: T + 20 },
  { kind: "step_end", step_id: "c", exit_code: 1, duration_ms: 830, snapshot: null },
  {
    kind: "chain_failed",
    chain_idx: 2,
    failed_step_id: "c",
    failed_step_key: "test",
    exit_code: 1,
    message: "step 'test' exited with code 1",
    ts: T + 30,
  },
  { kind: "step_end", step_id: "b", exit_code: 130, duration_ms: 400, snapshot: null },
  { kind: "step_skipped", step_id: "d", key: "deploy", reason: "dependency failed" },
  { kind: "build_end", exit_code: 1, duration_ms: 2345 },
];

test("plain lines follow README with steps by name, and end with the summary", async () => {
  const sink = memorySink();
  const renderer = plainRenderer(sink, plain);
  for (const e of events) await renderer.deliver(e);
  expect(sink.text).toBe(
    [
      "build: 4 steps in 3 chain(s)",
      "[Install] start (runner=shell)",
      "[Install] installed 3 packages",
      "[Install] end exit=0 duration=1250ms",
      "[lint] start (runner=shell image=oven/bun:1)",
      "[bun test] start (runner=shell)",
      "[bun test] expected 1 to be 2",
      "[bun test] end exit=1 duration=830ms",
      "chain 2: FAILED at step 'bun test' (exit=1): step 'test' exited with code 1",
      "[lint] end exit=130 duration=400ms",
      "[deploy] skipped (dependency failed)",
      "build: end exit=1 duration=2345ms",
      "",
      "  ✓ Install   1.2s",
      "  - lint      400ms  cancelled",
      "  ✗ bun test  830ms  exit 1",
      "  - deploy    skipped (dependency failed)",
      "",
      "--- bun test failed (exit 1) ---",
      "expected 1 to be 2",
      "",
      "✗ Build failed in 2.3s",
      "",
    ].join("\n"),
  );
});

test("JSON lines: one object per event, RFC 3339 timestamps", async () => {
  const sink = memorySink();
  const renderer = jsonRenderer(sink);
  for (const e of events) await renderer.deliver(e);
  const lines = sink.text.trimEnd().split("\n");
  expect(lines.length).toBe(events.length);
  expect(JSON.parse(lines[0] as string)).toEqual({
    kind: "build_start",
    run_id: "r1",
    plan: { step_count: 4, chain_count: 3, default_runner: "shell" },
    started_at: "2026-11-25T12:00:00.000Z",
  });
  expect(JSON.parse(lines[6] as string).ts).toBe("2026-11-25T12:00:00.010Z");
});

test("the progress frame: a bar, a tree with builds_in children indented, spinners and elapsed times", () => {
  const state = newBuildState(PROGRESS_TAIL_LINES);
  for (const e of events.slice(0, 10)) applyEvent(state, e, T);
  const frame = progressFrame(state, T + 4200, 0, { columns: 80, rows: 24 }, plain);
  expect(frame).toEqual([
    `⠋ pipeline ${"━".repeat(6)}${"─".repeat(18)} 1/4 steps (4.2s)`,
    "  ✓ Install  (1.2s)",
    "    ⠋ lint  (4.2s)",
    "    ⠋ bun test  (4.2s)",
    "  · deploy",
  ]);
});

test("the progress frame never exceeds the terminal: running steps first, then a count", () => {
  const state = newBuildState(PROGRESS_TAIL_LINES);
  for (const e of events.slice(0, 10)) applyEvent(state, e, T);
  const frame = progressFrame(state, T + 1000, 3, { columns: 20, rows: 4 }, plain);
  expect(frame.length).toBeLessThanOrEqual(4);
  expect(frame.slice(1)).toEqual(["    ⠸ lint  (1.0s)", "  … 3 more steps"]);
});

test("the summary lists every step, replays the failed step's log and ends with the verdict", () => {
  const state = newBuildState(PROGRESS_TAIL_LINES);
  for (const e of events) applyEvent(state, e, T);
  expect(buildSummary(state, plain)).toEqual([
    "",
    "  ✓ Install   1.2s",
    "  - lint      400ms  cancelled",
    "  ✗ bun test  830ms  exit 1",
    "  - deploy    skipped (dependency failed)",
    "",
    "--- bun test failed (exit 1) ---",
    "expected 1 to be 2",
    "",
    "✗ Build failed in 2.3s",
  ]);
});

test("durations and key colours follow the reference's rules", () => {
  expect([999, 1000, 59_999, 60_000, 125_000].map(formatDuration)).toEqual([
    "999ms",
    "1.0s",
    "59.9s",
    "1m0s",
    "2m5s",
  ]);
  const ansi = {
    ...plain,
    cyan: (s: string) => `cyan:${s}`,
    magenta: (s: string) => `magenta:${s}`,
    yellow: (s: string) => `yellow:${s}`,
    green: (s: string) => `green:${s}`,
    blue: (s: string) => `blue:${s}`,
    brightRed: (s: string) => `brightRed:${s}`,
  };
  // "a" = 97 → 97 % 6 = 1 (magenta); "" → 0 (cyan).
  expect(keyColor("a", ansi)("x")).toBe("magenta:x");
  expect(keyColor("", ansi)("x")).toBe("cyan:x");
});

test("the frame never wraps: names lose control characters, every line fits a narrow terminal", () => {
  const state = newBuildState(PROGRESS_TAIL_LINES);
  applyEvent(state, events[0] as HmEvent, T);
  applyEvent(
    state,
    {
      kind: "step_queued",
      step_id: "m",
      key: "multi",
      chain_idx: 0,
      parent_key: null,
      display_name: "echo one\necho\ttwo",
    },
    T,
  );
  applyEvent(state, { kind: "step_start", step_id: "m", runner: "shell", image: null }, T);
  for (const columns of [12, 20, 40, 80]) {
    const frame = progressFrame(state, T + 61_000, 0, { columns, rows: 24 }, plain);
    for (const line of frame) expect([...line].length).toBeLessThan(columns);
    expect(frame.join("\n")).not.toContain("\t");
    expect(frame.length).toBe(2);
  }
  expect(progressFrame(state, T, 0, { columns: 80, rows: 24 }, plain)[1]).toBe(
    "  ⠋ echo one echo two  (0ms)",
  );
});

const queued = (step_id: string, key: string, display_name: string): HmEvent => ({
  kind: "step_queued",
  step_id,
  key,
  chain_idx: 0,
  parent_key: null,
  display_name,
});

test("plain output ends with the summary: a long failed log restated by its last 20 lines and a count", async () => {
  const sink = memorySink();
  const renderer = plainRenderer(sink, plain);
  const feed: HmEvent[] = [
    {
      kind: "build_start",
      run_id: "r2",
      plan: { step_count: 2, chain_count: 2, default_runner: "shell" },
      started_at: T,
    },
    queued("n", "5ca72c89e4a0", "./noisy.sh"),
    queued("q", "quiet", "quiet"),
    { kind: "step_start", step_id: "n", runner: "shell", image: null },
    { kind: "step_start", step_id: "q", runner: "shell", image: null },
    ...Array.from(
      { length: 3000 },
      (_, i): HmEvent => ({
        kind: "step_log",
        step_id: "n",
        stream: "stdout",
        line: `noise ${i + 1}`,
        ts: T,
      }),
    ),
    { kind: "step_log", step_id: "q", stream: "stdout", line: "all good", ts: T },
    { kind: "step_end", step_id: "q", exit_code: 0, duration_ms: 20, snapshot: null },
    { kind: "step_end", step_id: "n", exit_code: 3, duration_ms: 1500, snapshot: null },
    {
      kind: "chain_failed",
      chain_idx: 0,
      failed_step_id: "n",
      failed_step_key: "5ca72c89e4a0",
      exit_code: 3,
      message: "step '5ca72c89e4a0' exited with code 3",
      ts: T,
    },
    { kind: "build_end", exit_code: 1, duration_ms: 1600 },
  ];
  for (const e of feed) await renderer.deliver(e);
  const lines = sink.text.trimEnd().split("\n");
  expect(lines.slice(-29)).toEqual([
    "build: end exit=1 duration=1600ms",
    "",
    "  ✗ ./noisy.sh  1.5s  exit 3",
    "  ✓ quiet       20ms",
    "",
    "--- ./noisy.sh failed (exit 3) ---",
    "… 2980 earlier lines not shown",
    ...Array.from({ length: 20 }, (_, i) => `noise ${2981 + i}`),
    "",
    "✗ Build failed in 1.6s",
  ]);
  expect(lines).toContain("[./noisy.sh] noise 1");
  expect(lines).toContain("[quiet] all good");
});

test("a timed-out step is restated as timed out; a passing build's summary has no logs", () => {
  const state = newBuildState(20);
  const feed: HmEvent[] = [
    queued("s", "slow", "sleep 99"),
    { kind: "step_start", step_id: "s", runner: "shell", image: null },
    { kind: "step_log", step_id: "s", stream: "stdout", line: "waiting", ts: T },
    { kind: "step_end", step_id: "s", exit_code: 124, duration_ms: 5000, snapshot: null },
    {
      kind: "chain_failed",
      chain_idx: 0,
      failed_step_id: "s",
      failed_step_key: "slow",
      exit_code: 124,
      message: "step 'slow' timed out after 5s",
      ts: T,
    },
    { kind: "build_end", exit_code: 124, duration_ms: 5100 },
  ];
  for (const e of feed) applyEvent(state, e, T);
  expect(buildSummary(state, plain)).toEqual([
    "",
    "  ✗ sleep 99  5.0s  timed out",
    "",
    "--- sleep 99 timed out (exit 124) ---",
    "waiting",
    "",
    "✗ Build timed out after 5.1s",
  ]);
  const passing = newBuildState(20);
  for (const e of [
    queued("p", "p", "true"),
    { kind: "step_log", step_id: "p", stream: "stdout", line: "not restated", ts: T },
    { kind: "step_end", step_id: "p", exit_code: 0, duration_ms: 5, snapshot: null },
    { kind: "build_end", exit_code: 0, duration_ms: 9 },
  ] satisfies HmEvent[])
    applyEvent(passing, e, T);
  expect(buildSummary(passing, plain)).toEqual(["", "  ✓ true  5ms", "", "✓ Build succeeded in 9ms"]);
});

test("a step's log is kept as a bounded ring: the newest lines, oldest first, and how many went", () => {
  const tail = new LogTail(20);
  for (let i = 1; i <= 5000; i++) tail.push(`line ${i}`);
  expect(tail.lines()).toEqual(Array.from({ length: 20 }, (_, i) => `line ${4981 + i}`));
  expect(tail.dropped).toBe(4980);
  const short = new LogTail(20);
  for (const l of ["a", "b"]) short.push(l);
  expect([short.lines(), short.dropped]).toEqual([["a", "b"], 0]);
});

test("plain prefixes name steps, not hash keys; steps that share a name are told apart by their keys", async () => {
  const sink = memorySink();
  const renderer = plainRenderer(sink, plain);
  const feed: HmEvent[] = [
    queued("1", "c9c335b4e149", "unit tests"), // a label whose slug another step took
    queued("2", "0a1b2c3d4e5f", "make"),
    queued("3", "0a1b2c999999", "make"),
    queued("4", "9f8e7d6c5b4a", "make check"),
    queued("5", "ml", "echo one\necho two"),
    ...["1", "2", "3", "4", "5"].map(
      (id): HmEvent => ({ kind: "step_log", step_id: id, stream: "stdout", line: "hi", ts: T }),
    ),
  ];
  for (const e of feed) await renderer.deliver(e);
  expect(sink.text.trimEnd().split("\n")).toEqual([
    "[unit tests] hi",
    "[make #0a1b2c3] hi",
    "[make #0a1b2c9] hi",
    "[make check] hi",
    "[echo one echo two] hi",
  ]);
  expect(sink.text).not.toMatch(/\[[0-9a-f]{12}\]/);
});

test("a 100 000-deep builds_in chain draws in the progress view and is summed up step by step", () => {
  const n = 100_000;
  const state = newBuildState(PROGRESS_TAIL_LINES);
  applyEvent(
    state,
    {
      kind: "build_start",
      run_id: "r",
      plan: { step_count: n, chain_count: 1, default_runner: "noop" },
      started_at: T,
    },
    T,
  );
  for (let i = 0; i < n; i++)
    applyEvent(
      state,
      {
        kind: "step_queued",
        step_id: `i${i}`,
        key: `s${i}`,
        chain_idx: i,
        parent_key: i === 0 ? null : `s${i - 1}`,
        display_name: "true",
      },
      T,
    );
  for (let i = 0; i < n - 1; i++) {
    applyEvent(state, { kind: "step_start", step_id: `i${i}`, runner: "noop", image: null }, T);
    applyEvent(
      state,
      { kind: "step_end", step_id: `i${i}`, exit_code: 0, duration_ms: 1, snapshot: null },
      T,
    );
  }
  applyEvent(state, { kind: "step_start", step_id: `i${n - 1}`, runner: "noop", image: null }, T);
  const frame = progressFrame(state, T + 2000, 0, { columns: 80, rows: 24 }, plain);
  expect(frame[0]).toContain(`${n - 1}/${n} steps`);
  // The running step, 100 000 levels down (indent capped), then the count of the rest.
  expect(frame.slice(1)).toEqual([`                ⠋ true #s99999  (2.0s)`, `  … ${n - 1} more steps`]);
  applyEvent(
    state,
    { kind: "step_end", step_id: `i${n - 1}`, exit_code: 0, duration_ms: 1, snapshot: null },
    T,
  );
  applyEvent(state, { kind: "build_end", exit_code: 0, duration_ms: 5000 }, T);
  const summary = buildSummary(state, plain);
  // Every step once, told apart by its key though all share the name "true".
  const rows = summary.filter((line) => line.startsWith("  ✓ true #"));
  expect(rows).toHaveLength(n);
  expect(new Set(rows.map((row) => row.split(" ")[4])).size).toBe(n);
  expect(summary.at(-1)).toBe("✓ Build succeeded in 5.0s");
}, 60_000);

test("steps that share a name keep the shortest key prefix that tells them apart as more join", () => {
  const state = newBuildState(20);
  const names = () => state.steps.map((s) => s.name);
  applyEvent(state, queued("1", "0a1b2c3d4e", "make"), T);
  expect(names()).toEqual(["make"]);
  applyEvent(state, queued("2", "9f8e7d6c5b", "make"), T);
  expect(names()).toEqual(["make #0a1b2c", "make #9f8e7d"]);
  applyEvent(state, queued("3", "0a1b2c3d00", "make"), T); // clashes up to 8 characters
  expect(names()).toEqual(["make #0a1b2c3d4", "make #9f8e7d6c5", "make #0a1b2c3d0"]);
  applyEvent(state, queued("4", "77", "make"), T); // a short key: the whole of it
  expect(names()).toEqual(["make #0a1b2c3d4", "make #9f8e7d6c5", "make #0a1b2c3d0", "make #77"]);
});

test("a stream sink sends the lines of one tick as few writes, and passes back-pressure on", async () => {
  const { Writable } = await import("node:stream");
  const chunks: string[] = [];
  let hold = false;
  const held: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark: 1 << 20,
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      if (hold) held.push(done);
      else done();
    },
  });
  const sink = streamSink(stream);
  // A cancel's sweep: 50 000 lines in one synchronous pass.
  for (let i = 0; i < 50_000; i++) expect(sink.write(`[s${i}] skipped (cancelled)\n`)).toBeUndefined();
  await Promise.resolve();
  expect(chunks.length).toBeLessThanOrEqual(30); // one per 64 KiB, not one per line
  expect(chunks.join("").split("\n")).toHaveLength(50_001);
  // A stream that stops taking data: once past its high-water mark, writes wait for it to drain.
  hold = true;
  expect(sink.write("x".repeat(3 << 20))).toBeInstanceOf(Promise);
  const waiting = sink.write("more\n");
  expect(waiting).toBeInstanceOf(Promise);
  hold = false;
  for (const done of held.splice(0)) done();
  await waiting;
  await Promise.resolve();
  expect(chunks.join("").endsWith("more\n")).toBe(true);
});
