/**
 * The reap sequence (src/run/reap.ts) removes a dead run's runner
 * directories whatever runner made them, not only the shell runner's.
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kvDatabasePath } from "../../src/plugins/paths.ts";
import { reapLeftovers } from "../../src/run/reap.ts";
import { createRunDirectory, runsDir } from "../../src/run/run-records.ts";
import { runnerRunDirectory } from "../../src/runner/run-directory.ts";

const made: string[] = [];
afterEach(() => {
  for (const path of made.splice(0)) rmSync(path, { recursive: true, force: true });
});

function stateEnv(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), "hm-reap-test-"));
  made.push(dir);
  return { ...process.env, HM_STATE_DIR: dir };
}

function runnerDirectory(runner: string, runId: string): string {
  const dir = runnerRunDirectory(runner, runId);
  made.push(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "left-behind"), "x");
  return dir;
}

test("a run that died loses the directory of every plugin runner it used, named after the runner", async () => {
  const env = stateEnv();
  const runId = crypto.randomUUID();
  const dir = runnerDirectory("fixture/echo runner", runId);
  expect(dir).toBe(join(tmpdir(), `hm-fixture%2Fecho%20runner-${runId}`));
  const run = createRunDirectory(runId, [dir], env);

  const report = await reapLeftovers({
    scope: { runId },
    runners: [],
    waitForInFlight: false,
    kvPath: kvDatabasePath(env),
    env,
  });

  expect(report.runs.map((r) => r.runId)).toEqual([runId]);
  expect(existsSync(dir)).toBe(false);
  expect(existsSync(run.path)).toBe(false);
});

test("a run whose owner record was never written still loses its runners' directories, and only its own", async () => {
  const env = stateEnv();
  const runId = crypto.randomUUID();
  const otherRun = crypto.randomUUID();
  mkdirSync(join(runsDir(env), runId), { recursive: true }); // killed before owner.json
  const shell = runnerDirectory("shell", runId);
  const other = runnerDirectory("echo", runId);
  const notOurs = runnerDirectory("echo", otherRun);

  await reapLeftovers({
    scope: { runId },
    runners: [],
    waitForInFlight: false,
    kvPath: kvDatabasePath(env),
    env,
  });

  expect(existsSync(shell)).toBe(false);
  expect(existsSync(other)).toBe(false);
  expect(existsSync(notOurs)).toBe(true);
  expect(existsSync(join(runsDir(env), runId))).toBe(false);
});
