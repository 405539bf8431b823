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
import { running, runOwners, whenGone } from "../helpers/processes.ts";
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

/** The pids the steps wrote, once all are written (however long a loaded machine takes to start them). */
async function waitForPids(pidsDir: string, files: number, hm: Bun.Subprocess): Promise<number[]> {
  for (;;) {
    const names = existsSync(pidsDir) ? readdirSync(pidsDir) : [];
    const written = names.map((n) => readFileSync(join(pidsDir, n), "utf8"));
    if (names.length === files && written.every((w) => w.endsWith("\n"))) return written.map(Number);
    if (hm.exitCode !== null) throw new Error("hm ended before the steps started");
    await Bun.sleep(20);
  }
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
  const pids = await waitForPids(pidsDir, 8, proc);
  expect(pids.every(running)).toBe(true);
  // Records are private while the run is going.
  const runs = join(dirs.state, "runs");
  expect(statSync(runs).mode & 0o777).toBe(0o700);
  for (const runId of readdirSync(runs)) {
    expect(statSync(join(runs, runId)).mode & 0o777).toBe(0o700);
    for (const file of readdirSync(join(runs, runId)).filter((f) => f === "owner.json" || f === "steps"))
      expect(statSync(join(runs, runId, file)).mode & 0o777).toBe(0o600);
  }
  const owners = runOwners(dirs.state);
  proc.kill("SIGKILL");
  await proc.exited;
  // Until the build child has died with its supervisor, its run is rightly kept.
  await whenGone(owners);
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
  await whenGone(pids); // SIGKILL is sent; the processes end once scheduled
  expect(pids.filter(running)).toEqual([]);
  expect(readdirSync(join(dirs.state, "runs"))).toEqual([]);
  expect(readdirSync(dirs.tmp)).toEqual([]);
}, 60_000);

test("kill -9 of hm run --runner shell, then the next hm run: no step process is left", async () => {
  const { pids, after } = await killedRun("run");
  expect(after.exitCode).toBe(0);
  await whenGone(pids);
  expect(pids.filter(running)).toEqual([]);
}, 60_000);
