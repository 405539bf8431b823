import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, REPO_ROOT, runDirs, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { running, runScopedRows } from "../helpers/processes.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";
import { streamText } from "../helpers/stream-text.ts";

const scratch = tempDir("hm-forced-exit-");
afterAll(() => scratch.cleanup());
const makeProject = projectsRemovedAfterAll();

async function pressCtrlC(times: number) {
  const dirs = runDirs(scratch.path);
  const pidsDir = join(scratch.path, crypto.randomUUID());
  mkdirSync(pidsDir);
  // SIGTERM is ignored (and stays ignored in the sleeper): only the shell runner's SIGKILL, 2 s
  // after the cancel, or hm's cleanup stops them.
  const steps = ["a", "b"].map((key) => ({
    key,
    cmd: `trap '' TERM; sleep 300 & echo "$!" > ${pidsDir}/${key}.bg; echo "$$" > ${pidsDir}/${key}.sh; wait; wait`,
  }));
  const project = makeProject({ ".hm/ci.ir.json": irJson(steps) });
  const proc = Bun.spawn(
    [process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--runner", "shell", "--parallelism", "2"],
    {
      cwd: project.root,
      env: { ...baseEnv(), HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  // hm's own lines ("cancelling…", "force-exit: …") are part of its output, on stdout.
  const stdout = streamText(proc.stdout);
  // A pid file exists as soon as the shell opens it, and holds its pid once the line is written.
  const written = () => readdirSync(pidsDir).map((n) => readFileSync(join(pidsDir, n), "utf8"));
  while (written().filter((pid) => pid.endsWith("\n")).length < 4) {
    if (proc.exitCode !== null) throw new Error(`hm exited early: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(20);
  }
  const pids = written().map(Number);
  // Each press waits until hm has acted on the one before (a loaded hm handles a signal late, and
  // two presses handled less than 300 ms apart count as one), then for 350 ms more.
  const acted = ["cancelling… (Ctrl-C again to force)", "force-exit: removing this run's"];
  for (let i = 0; i < times; i++) {
    if (i > 0) {
      await stdout.contains(acted[i - 1] as string);
      await Bun.sleep(350);
    }
    proc.kill("SIGINT");
  }
  const exitCode = await proc.exited;
  // SIGKILL is sent, but a killed process ends only once the (loaded) kernel schedules it.
  for (let waited = 0; waited < 10_000 && pids.some(running); waited += 20) await Bun.sleep(20);
  return { exitCode, stdout: await stdout.ended, pids, dirs };
}

test("a third Ctrl-C exits at once, and the step processes, directories and KV rows go too", async () => {
  const r = await pressCtrlC(3);
  expect(r.exitCode).toBe(130);
  expect(r.pids.length).toBe(4);
  expect(r.pids.filter(running)).toEqual([]);
  expect(readdirSync(join(r.dirs.state, "runs"))).toEqual([]);
  expect(readdirSync(r.dirs.tmp)).toEqual([]);
  expect(runScopedRows(r.dirs.state)).toBe(0);
});

test("a second Ctrl-C force-exits 130 and leaves no build-scope KV row", async () => {
  const r = await pressCtrlC(2);
  expect(r.exitCode).toBe(130);
  expect(r.stdout).toContain("force-exit");
  expect(r.pids.filter(running)).toEqual([]);
  expect(readdirSync(join(r.dirs.state, "runs"))).toEqual([]);
  expect(readdirSync(r.dirs.tmp)).toEqual([]);
  expect(runScopedRows(r.dirs.state)).toBe(0);
});
