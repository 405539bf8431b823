/**
 * Signals sent to a real `hm run` mid-step (`docs/design.md`, "Signals"): SIGINT cancels
 * (running steps end 130, exit 130), SIGTERM does the same and exits 143, a
 * second SIGINT force-exits even when a step ignores cancellation; nothing
 * of the run is left on disk.
 */
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseEventStream } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { compileHookPlugin, fixturePath } from "../helpers/native.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";
import { streamText } from "../helpers/stream-text.ts";

const scratch = tempDir("hm-run-signals-");
afterAll(() => scratch.cleanup());
// Removed when the file ends, a failing test's included.
const makeProject = projectsRemovedAfterAll();
// The hm processes the tests start: a failing test leaves none running.
const started: Bun.Subprocess[] = [];
afterAll(() => {
  for (const proc of started) if (proc.exitCode === null) proc.kill("SIGKILL");
});

const plugins = join(scratch.path, "plugins");
mkdirSync(plugins, { recursive: true });
copyFileSync(fixturePath("noop-executor"), join(plugins, "noop-executor.so"));
copyFileSync(fixturePath("stubborn-runner"), join(plugins, "stubborn-runner.so"));
// A before hook on build_start that waits until keep_going says stop (and then says so in KV), or
// for 15 s, longer than its 10 s timeout (a loaded hm may take seconds to pass a Ctrl-C on, so only
// the stop or the timeout ends it); it says it has started by making this file (hm run starts a
// supervisor first: timing is no guide).
const slowStartEntered = join(scratch.path, "slow-start-entered");
compileHookPlugin(join(scratch.path, "slow-start"), "slow-start", {
  kinds: ["HM_HOOK_BUILD_START"],
  phase: "before",
  timeoutMs: 10_000,
  body: `struct timespec t = {0, 10000000};
  int i;
  FILE *entered = fopen("${slowStartEntered}", "w");
  if (entered) fclose(entered);
  for (i = 0; i < 1500 && hm_keep_going(ctx); i++) nanosleep(&t, NULL);
  if (i < 1500) hm_kv_set(ctx, HM_KV_PLUGIN, "stopped-early", "yes", 3);
  out->kind = HM_HOOK_CONTINUE;
  return 1;`,
});

/** Starts `hm run` in JSON mode and resolves once a step has started. */
async function startRun(runner: string) {
  const project = makeProject({
    ".hm/ci.ir.json": irJson(
      [{ key: "long", env: { NOOP_SLEEP_MS: "60000", STUBBORN_SLEEP_MS: "120000" } }, { key: "next" }],
      [["long", "next", "depends_on"]],
    ),
  });
  const state = join(scratch.path, crypto.randomUUID());
  const proc = Bun.spawn(
    [process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--runner", runner, "--format", "json"],
    {
      cwd: project.root,
      env: { ...baseEnv(), HM_STATE_DIR: state, HM_PLUGIN_PATH: plugins },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  started.push(proc);
  const stdout = streamText(proc.stdout);
  const stderr = streamText(proc.stderr);
  while (!stdout.text().includes('"kind":"step_start"')) {
    if (proc.exitCode !== null) throw new Error(`hm exited early: ${await stderr.ended}`);
    await Bun.sleep(20);
  }
  const finished = async () => {
    const exitCode = await proc.exited;
    return { exitCode, stdout: await stdout.ended, stderr: await stderr.ended };
  };
  return { proc, state, project, stderr, finished };
}

test("SIGINT mid-step: the step ends 130, the rest is skipped, hm exits 130 and leaves nothing", async () => {
  const run = await startRun("noop");
  run.proc.kill("SIGINT");
  const r = await run.finished();
  expect(r.exitCode).toBe(130);
  const events = parseEventStream(r.stdout);
  expect(events.find((e) => e.kind === "step_end")).toMatchObject({ exit_code: 130 });
  expect(events.find((e) => e.kind === "step_skipped")).toMatchObject({ key: "next", reason: "cancelled" });
  expect(events.at(-1)).toMatchObject({ kind: "build_end", exit_code: 130 });
  expect(readdirSync(join(run.state, "runs"))).toEqual([]);
});

test("SIGTERM acts like the first Ctrl-C and exits 143", async () => {
  const run = await startRun("noop");
  run.proc.kill("SIGTERM");
  const r = await run.finished();
  expect(r.exitCode).toBe(143);
  expect(parseEventStream(r.stdout).at(-1)).toMatchObject({ kind: "build_end", exit_code: 130 });
  expect(readdirSync(join(run.state, "runs"))).toEqual([]);
});

test("a second SIGINT force-exits 130 while a step ignores cancellation, and removes the run's files", async () => {
  const run = await startRun("stubborn");
  run.proc.kill("SIGINT");
  // Once hm has acted on the first press, and further apart than one press seen twice (a loaded
  // hm handles a signal late: two presses handled less than 300 ms apart count as one).
  await run.stderr.contains("cancelling… (Ctrl-C again to force)");
  await Bun.sleep(400);
  run.proc.kill("SIGINT");
  const r = await run.finished();
  expect(r.exitCode).toBe(130);
  // hm did not wait for the stubborn step (it sleeps longer than this test may take): it never ended.
  expect(parseEventStream(r.stdout).filter((e) => e.kind === "step_end")).toEqual([]);
  expect(r.stderr).toContain("cancelling… (Ctrl-C again to force)");
  expect(r.stderr).toContain("force-exit");
  expect(readdirSync(join(run.state, "runs"))).toEqual([]);
});

test("two presses less than 300 ms apart count as one (bun run forwards Ctrl-C a second time)", async () => {
  const run = await startRun("noop");
  run.proc.kill("SIGINT");
  run.proc.kill("SIGINT");
  const r = await run.finished();
  expect(r.exitCode).toBe(130);
  expect(r.stderr).not.toContain("force-exit");
  // The cancel ran its course: a complete stream ending in build_end.
  expect(parseEventStream(r.stdout).at(-1)).toMatchObject({ kind: "build_end", exit_code: 130 });
});

test("Ctrl-C while a before hook holds build_start: the hook is told to stop, exit 130, a complete stream", async () => {
  const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "a" }, { key: "b" }]) });
  const state = join(scratch.path, crypto.randomUUID());
  const dir = join(scratch.path, "slow-start");
  copyFileSync(fixturePath("noop-executor"), join(dir, "noop-executor.so"));
  const proc = Bun.spawn(
    [process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--runner", "noop", "--format", "json"],
    {
      cwd: project.root,
      env: { ...baseEnv(), HM_STATE_DIR: state, HM_PLUGIN_PATH: dir },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  started.push(proc);
  while (!existsSync(slowStartEntered)) {
    if (proc.exitCode !== null) throw new Error(`hm exited early: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(20);
  }
  proc.kill("SIGINT");
  const [exitCode, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  expect(stderr).not.toContain("Cannot access");
  expect(stderr).not.toContain("timed out");
  expect(exitCode).toBe(130);
  const events = parseEventStream(stdout);
  expect(events.filter((e) => e.kind === "step_skipped").length).toBe(2);
  expect(events.at(-1)).toMatchObject({ kind: "build_end", exit_code: 130 });
  const db = new Database(join(state, "kv.sqlite"), { readonly: true });
  const row = db
    .query("SELECT value FROM kv WHERE owner = 'slow-start' AND key = ?")
    .get(Buffer.from("stopped-early"));
  db.close();
  expect(row).not.toBeNull(); // keep_going turned 0 inside the hook
});
