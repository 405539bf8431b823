/**
 * Step processes never outlive their run: `kill -9` of `hm run --runner
 * shell`, then `hm gc` (or the next `hm run`), leaves no step process alive,
 * checked by pid in /proc; run records are private (0600 files, 0700
 * directories).
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { running } from "../helpers/processes.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";

const scratch = tempDir("hm-step-reap-");
afterAll(() => scratch.cleanup());
const makeProject = projectsRemovedAfterAll();

/** Steps that each record their shell's pid and a background sleeper's, then wait forever. */
function sleepers(pidsDir: string, count: number) {
  const steps = Array.from({ length: count }, (_, i) => ({
    key: `s${i}`,
    cmd: `sleep 300 & echo "$!" > ${pidsDir}/s${i}.bg; echo "$$" > ${pidsDir}/s${i}.sh; wait`,
  }));
  return makeProject({ ".hm/ci.ir.json": irJson(steps) });
}

async function waitForPids(pidsDir: string, files: number): Promise<number[]> {
  for (let i = 0; i < 500; i++) {
    const names = existsSync(pidsDir) ? readdirSync(pidsDir) : [];
    const pids = names.map((n) => Number(readFileSync(join(pidsDir, n), "utf8").trim()));
    if (names.length === files && pids.every((p) => p > 0)) return pids;
    await Bun.sleep(20);
  }
  throw new Error("the steps never started");
}

async function killedRun(followUp: "gc" | "run") {
  const dirs = runDirs(scratch.path);
  const pidsDir = join(scratch.path, crypto.randomUUID());
  const project = sleepers(pidsDir, 4);
  const env = { ...baseEnv(), HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp };
  const proc = Bun.spawn(
    [process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--runner", "shell", "--parallelism", "4"],
    {
      cwd: project.root,
      env,
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  mkdirSync(pidsDir, { recursive: true });
  const pids = await waitForPids(pidsDir, 8);
  expect(pids.every(running)).toBe(true);
  // Records are private while the run is going.
  const runs = join(dirs.state, "runs");
  expect(statSync(runs).mode & 0o777).toBe(0o700);
  for (const runId of readdirSync(runs)) {
    expect(statSync(join(runs, runId)).mode & 0o777).toBe(0o700);
    for (const file of readdirSync(join(runs, runId)).filter((f) => f === "owner.json" || f === "steps"))
      expect(statSync(join(runs, runId, file)).mode & 0o777).toBe(0o600);
  }
  proc.kill("SIGKILL");
  await proc.exited;
  const after =
    followUp === "gc"
      ? await runHm(["gc"], { cwd: project.root, env })
      : await runHm(["run", "--runner", "shell", "--parallelism", "4"], {
          cwd: makeProject({ ".hm/ci.ir.json": irJson([{ key: "quick", cmd: "true" }]) }).root,
          env,
        });
  return { pids, after, dirs };
}

test("kill -9 of hm run --runner shell, then hm gc: no step process is left", async () => {
  const { pids, after, dirs } = await killedRun("gc");
  expect(after.exitCode).toBe(0);
  await Bun.sleep(100); // SIGKILL is delivered; the reaper of the orphans (init) may take a moment
  expect(pids.filter(running)).toEqual([]);
  expect(readdirSync(join(dirs.state, "runs"))).toEqual([]);
  expect(readdirSync(dirs.tmp)).toEqual([]);
}, 60_000);

test("kill -9 of hm run --runner shell, then the next hm run: no step process is left", async () => {
  const { pids, after } = await killedRun("run");
  expect(after.exitCode).toBe(0);
  await Bun.sleep(100);
  expect(pids.filter(running)).toEqual([]);
}, 60_000);
