/**
 * The recorder and its reader on their own: every event comes back from the
 * saved files as `--format json` printed it (log lines holding a newline or
 * text that looks like a record too), and the history limits parse what the
 * README says they take.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type HmEvent, toJsonLine } from "../../../src/run/events.ts";
import { historyLimitsFromEnv } from "../../../src/run/history/limits.ts";
import { recordRun } from "../../../src/run/history/recorder.ts";
import { SavedEvents } from "../../../src/run/history/saved-events.ts";
import { tempDir } from "../../helpers/hm.ts";

const scratch = tempDir("hm-recorder-");
afterAll(() => scratch.cleanup());

test("saved events read back as the JSON stream, a log line with a newline in it included", async () => {
  const runId = crypto.randomUUID();
  const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
  const errors: string[] = [];
  const history = recordRun({
    runId,
    pipeline: "ci",
    projectRoot: scratch.path,
    limits: { maxRuns: 5, maxBytes: 1 << 30 },
    onError: (message) => errors.push(message),
    env: { HM_STATE_DIR: join(scratch.path, "state") },
  });
  if (history === null) throw new Error("recording is on");
  const log = (step_id: string, line: string, stream: "stdout" | "stderr" = "stdout"): HmEvent => ({
    kind: "step_log",
    step_id,
    stream,
    line,
    ts: 1_764_000_000_000 + line.length,
  });
  const events: HmEvent[] = [
    {
      kind: "build_start",
      run_id: runId,
      plan: { step_count: 2, chain_count: 1, default_runner: "shell" },
      started_at: 1,
    },
    { kind: "step_queued", step_id: a, key: "a/b c", chain_idx: 0, parent_key: null, display_name: "a" },
    { kind: "step_queued", step_id: b, key: "b", chain_idx: 0, parent_key: "a/b c", display_name: "b" },
    { kind: "step_start", step_id: a, runner: "shell", image: null },
    log(a, "first"),
    log(a, "two\nlines", "stderr"),
    log(a, "[0,0,1]"),
    log(a, ""),
    { kind: "step_end", step_id: a, exit_code: 0, duration_ms: 5, snapshot: null },
    { kind: "step_start", step_id: b, runner: "shell", image: null },
    log(b, "ünïcödé ✓ 😀"),
    { kind: "step_end", step_id: b, exit_code: 2, duration_ms: 7, snapshot: null },
    {
      kind: "chain_failed",
      chain_idx: 0,
      failed_step_id: b,
      failed_step_key: "b",
      exit_code: 2,
      message: "step 'b' exited with code 2",
      ts: 9,
    },
    { kind: "build_end", exit_code: 1, duration_ms: 12 },
  ];
  for (const event of events) await history.deliver(event);
  await history.close();
  expect(errors).toEqual([]);
  const read = [...new SavedEvents(history.dir).batches()].flat();
  expect(read.map(toJsonLine)).toEqual(events.map(toJsonLine));
  // The step's file holds its lines as printed (a newline inside one becomes a space there).
  expect(readFileSync(join(history.dir, "steps", "a%2Fb%20c.log"), "utf8")).toBe(
    "first\ntwo lines\n[0,0,1]\n\n",
  );
  expect(JSON.parse(readFileSync(join(history.dir, "end.json"), "utf8"))).toMatchObject({
    exit_code: 1,
    duration_ms: 12,
  });
});

test("HM_HISTORY_RUNS and HM_HISTORY_BYTES: counts, sizes with units, the defaults when unset, errors naming the variable", () => {
  expect(historyLimitsFromEnv({})).toEqual({ maxRuns: 50, maxBytes: 512 * 1024 * 1024 });
  expect(historyLimitsFromEnv({ HM_HISTORY_RUNS: "3", HM_HISTORY_BYTES: "200M" })).toEqual({
    maxRuns: 3,
    maxBytes: 200 * 1024 * 1024,
  });
  expect(historyLimitsFromEnv({ HM_HISTORY_BYTES: "1.5G" }).maxBytes).toBe(1.5 * 1024 ** 3);
  expect(historyLimitsFromEnv({ HM_HISTORY_BYTES: "64KiB" }).maxBytes).toBe(65536);
  expect(historyLimitsFromEnv({ HM_HISTORY_BYTES: "1048576" }).maxBytes).toBe(1048576);
  expect(() => historyLimitsFromEnv({ HM_HISTORY_RUNS: "-1" })).toThrow(
    "HM_HISTORY_RUNS='-1': expected a whole number",
  );
  expect(() => historyLimitsFromEnv({ HM_HISTORY_RUNS: "2.5" })).toThrow("HM_HISTORY_RUNS='2.5'");
  expect(() => historyLimitsFromEnv({ HM_HISTORY_BYTES: "10 parsecs" })).toThrow(
    "HM_HISTORY_BYTES='10 parsecs'",
  );
});
