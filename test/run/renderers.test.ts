/** The plain, JSON and progress renderers against expected text. */
import { expect, test } from "bun:test";
import type { HmEvent } from "../../src/run/events.ts";
import { formatDuration, keyColor } from "../../src/run/render/format.ts";
import { jsonRenderer } from "../../src/run/render/json-renderer.ts";
import { plainRenderer } from "../../src/run/render/plain-renderer.ts";
import {
  applyEvent,
  newProgressState,
  progressFrame,
  progressSummary,
} from "../../src/run/render/progress-renderer.ts";
import { memorySink } from "../../src/run/render/sink.ts";
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

test("plain lines follow reference §6.2, with hm's skipped line", async () => {
  const sink = memorySink();
  const renderer = plainRenderer(sink, plain);
  for (const e of events) await renderer.deliver(e);
  expect(sink.text).toBe(
    [
      "build: 4 steps in 3 chain(s)",
      "[install] start (runner=shell)",
      "[install] installed 3 packages",
      "[install] end exit=0 duration=1250ms",
      "[lint] start (runner=shell image=oven/bun:1)",
      "[test] start (runner=shell)",
      "[test] expected 1 to be 2",
      "[test] end exit=1 duration=830ms",
      "chain 2: FAILED at step 'test' (exit=1): step 'test' exited with code 1",
      "[lint] end exit=130 duration=400ms",
      "[deploy] skipped (dependency failed)",
      "build: end exit=1 duration=2345ms",
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
  const state = newProgressState();
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
  const state = newProgressState();
  for (const e of events.slice(0, 10)) applyEvent(state, e, T);
  const frame = progressFrame(state, T + 1000, 3, { columns: 20, rows: 4 }, plain);
  expect(frame.length).toBeLessThanOrEqual(4);
  expect(frame.slice(1)).toEqual(["    ⠸ lint  (1.0s)", "  … 3 more steps"]);
});

test("the summary lists every step, replays the failed step's log and ends with the verdict", () => {
  const state = newProgressState();
  for (const e of events) applyEvent(state, e, T);
  expect(progressSummary(state, plain)).toEqual([
    "",
    "  ✓ Install   1.2s",
    "  - lint      400ms  cancelled",
    "  ✗ bun test  830ms  exit 1",
    "  - deploy    —",
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
  const state = newProgressState();
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
