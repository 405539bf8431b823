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
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-run-signals-");
afterAll(() => scratch.cleanup());

const plugins = join(scratch.path, "plugins");
mkdirSync(plugins, { recursive: true });
copyFileSync(fixturePath("noop-executor"), join(plugins, "noop-executor.so"));
copyFileSync(fixturePath("stubborn-runner"), join(plugins, "stubborn-runner.so"));
// A before hook on build_start that takes 3 s unless keep_going says stop (and then says so in KV);
// it says it has started by making this file (hm run starts a supervisor first: timing is no guide).
const slowStartEntered = join(scratch.path, "slow-start-entered");
compileHookPlugin(join(scratch.path, "slow-start"), "slow-start", {
  kinds: ["HM_HOOK_BUILD_START"],
  phase: "before",
  timeoutMs: 10_000,
  body: `struct timespec t = {0, 10000000};
  int i;
  FILE *entered = fopen("${slowStartEntered}", "w");
  if (entered) fclose(entered);
  for (i = 0; i < 300 && hm_keep_going(ctx); i++) nanosleep(&t, NULL);
  if (i < 300) hm_kv_set(ctx, HM_KV_PLUGIN, "stopped-early", "yes", 3);
  out->kind = HM_HOOK_CONTINUE;
  return 1;`,
});

/** Starts `hm run` in JSON mode and resolves once a step has started. */
async function startRun(runner: string) {
  const project = makeProject({
    ".hm/ci.ir.json": irJson(
      [{ key: "long", env: { NOOP_SLEEP_MS: "60000", STUBBORN_SLEEP_MS: "20000" } }, { key: "next" }],
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
  let stdout = "";
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stdout += decoder.decode(value, { stream: true });
    }
  })();
  while (!stdout.includes('"kind":"step_start"')) {
    if (proc.exitCode !== null) throw new Error(`hm exited early: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(20);
  }
  const finished = async () => {
    const exitCode = await proc.exited;
    await pump;
    return { exitCode, stdout, stderr: await new Response(proc.stderr).text() };
  };
  return { proc, state, project, finished };
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
  run.project.cleanup();
});

test("SIGTERM acts like the first Ctrl-C and exits 143", async () => {
  const run = await startRun("noop");
  run.proc.kill("SIGTERM");
  const r = await run.finished();
  expect(r.exitCode).toBe(143);
  expect(parseEventStream(r.stdout).at(-1)).toMatchObject({ kind: "build_end", exit_code: 130 });
  expect(readdirSync(join(run.state, "runs"))).toEqual([]);
  run.project.cleanup();
});

test("a second SIGINT force-exits 130 while a step ignores cancellation, and removes the run's files", async () => {
  const run = await startRun("stubborn");
  const started = Date.now();
  run.proc.kill("SIGINT");
  await Bun.sleep(400); // further apart than one press seen twice
  run.proc.kill("SIGINT");
  const r = await run.finished();
  expect(r.exitCode).toBe(130);
  expect(Date.now() - started).toBeLessThan(15_000); // the stubborn step sleeps 20 s
  expect(r.stderr).toContain("cancelling… (Ctrl-C again to force)");
  expect(r.stderr).toContain("force-exit");
  expect(readdirSync(join(run.state, "runs"))).toEqual([]);
  run.project.cleanup();
}, 20_000);

test("two presses less than 300 ms apart count as one (bun run forwards Ctrl-C a second time)", async () => {
  const run = await startRun("noop");
  run.proc.kill("SIGINT");
  run.proc.kill("SIGINT");
  const r = await run.finished();
  expect(r.exitCode).toBe(130);
  expect(r.stderr).not.toContain("force-exit");
  // The cancel ran its course: a complete stream ending in build_end.
  expect(parseEventStream(r.stdout).at(-1)).toMatchObject({ kind: "build_end", exit_code: 130 });
  run.project.cleanup();
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
  project.cleanup();
});
