/** A step's latest log line as the progress view draws it (src/run/render/terminal-text.ts). */
import { expect, test } from "bun:test";
import type { HmEvent } from "../../src/run/events.ts";
import { applyEvent, newBuildState } from "../../src/run/render/build-state.ts";
import { PROGRESS_TAIL_LINES, progressFrame } from "../../src/run/render/progress-renderer.ts";
import { fitColumns, visibleText } from "../../src/run/render/terminal-text.ts";
import { paintFor } from "../../src/term.ts";

const plain = paintFor(1); // tests run without a terminal on stdout: no colour
const T = Date.UTC(2026, 11, 5, 12, 0, 0);

test("visibleText keeps what a terminal would show on one row", () => {
  expect(visibleText("\x1b[1;31merror\x1b[0m: bad")).toBe("error: bad");
  expect(visibleText("downloading 10%\rdownloading 80%")).toBe("downloading 80%");
  expect(visibleText("windows line\r\n".trimEnd())).toBe("windows line");
  expect(visibleText("windows line\r")).toBe("windows line");
  expect(visibleText("\x1b]8;;https://example.test\x07link\x1b]8;;\x07 text")).toBe("link text");
  expect(visibleText("\x1b]0;title\x1b\\after")).toBe("after");
  expect(visibleText("a\tb\x07\x08c\x1bc\x9b2Jd\x85")).toBe("a bcd");
  expect(visibleText("\x1b[2J\x1b[H\x1b[5Aup")).toBe("up");
  expect(visibleText("   padded   ")).toBe("padded");
  expect(visibleText("\x1b[0m")).toBe("");
  // A megabyte on one line: only its start is looked at.
  expect(visibleText("y".repeat(1_000_000)).length).toBe(4096);
});

test("fitColumns counts terminal columns: wide characters take two, the cut ends with …", () => {
  expect(fitColumns("short", 10)).toBe("short");
  expect(fitColumns("abcdefghij", 5)).toBe("abcd…");
  expect(fitColumns("日本語のログ", 7)).toBe("日本語…");
  expect(Bun.stringWidth(fitColumns("日本語のログ", 6))).toBeLessThanOrEqual(6);
  expect(fitColumns("👍🏽👍🏽👍🏽", 5)).toBe("👍🏽👍🏽…");
  expect(fitColumns("anything", 0)).toBe("");
});

const queued = (id: string, name: string): HmEvent => ({
  kind: "step_queued",
  step_id: id,
  key: id,
  chain_idx: 0,
  parent_key: null,
  display_name: name,
});
const log = (id: string, line: string): HmEvent => ({
  kind: "step_log",
  step_id: id,
  stream: "stdout",
  line,
  ts: T,
});

test("the frame shows the latest line with text of running steps only, and never wraps", () => {
  const state = newBuildState(PROGRESS_TAIL_LINES);
  const events: HmEvent[] = [
    {
      kind: "build_start",
      run_id: "r",
      plan: { step_count: 4, chain_count: 4, default_runner: "shell" },
      started_at: T,
    },
    queued("a", "build"),
    queued("b", "test"),
    queued("c", "lint"),
    queued("d", "deploy"),
    { kind: "step_start", step_id: "a", runner: "shell", image: null },
    log("a", "compiling main.c"),
    log("a", "   "), // blank: the line before it stays
    { kind: "step_start", step_id: "b", runner: "shell", image: null },
    log("b", `全角の文字 ${"z".repeat(200)}`),
    { kind: "step_start", step_id: "c", runner: "shell", image: null },
    log("c", "all clean"),
    { kind: "step_end", step_id: "c", exit_code: 0, duration_ms: 300, snapshot: null },
  ];
  for (const e of events) applyEvent(state, e, T);
  const frame = progressFrame(state, T + 2000, 0, { columns: 60, rows: 24 }, plain);
  expect(frame.slice(1, 3)).toEqual([
    "  ⠋ build  (2.0s)  compiling main.c",
    expect.stringMatching(/^ {2}⠋ test {2}\(2\.0s\) {2}全角の文字 z+…$/),
  ]);
  expect(frame[3]).toBe("  ✓ lint  (300ms)"); // ended: its last line is gone
  expect(frame[4]).toBe("  · deploy");
  for (const columns of [10, 20, 30, 60, 200])
    for (const line of progressFrame(state, T + 2000, 0, { columns, rows: 24 }, plain))
      expect(Bun.stringWidth(line)).toBeLessThan(columns);
  // Too narrow for the line to say anything: left out rather than a stub.
  expect(progressFrame(state, T + 2000, 0, { columns: 24, rows: 24 }, plain)[1]).toBe("  ⠋ build  (2.0s)");
});
