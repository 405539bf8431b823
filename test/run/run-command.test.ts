/**
 * `hm run` as a real process with real plugins: the JSON stream, slug
 * selection, runner resolution, runner_args against step_schema, `-e`,
 * lifecycle hooks (counting, before-abort, timeout) and what it leaves behind.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KvStore } from "../../src/plugins/kv-store.ts";
import { decodeExecutorInput } from "../../src/protocol/index.ts";
import { parseEventStream } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { compileHookPlugin, compilePlugin, type FixtureName, fixturePath } from "../helpers/native.ts";
import { running } from "../helpers/processes.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-run-cmd-");
afterAll(() => scratch.cleanup());

/**
 * A fresh plugin directory holding only the named fixtures. Fresh each time: rewriting a
 * library that a still-running hm has mapped would corrupt that process.
 */
function pluginDir(...names: FixtureName[]): string {
  const dir = join(scratch.path, `plugins-${names.join("-")}-${crypto.randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  for (const name of names) copyFileSync(fixturePath(name), join(dir, `${name}.so`));
  return dir;
}

/** Runs hm in `root` with its own state dir and TMPDIR, and the given plugin path. */
async function hmRun(
  root: string,
  args: string[],
  plugins: string,
  { state, tmp } = runDirs(scratch.path),
  env: Record<string, string> = {},
) {
  const result = await runHm(["run", ...args], {
    cwd: root,
    env: { HM_STATE_DIR: state, TMPDIR: tmp, HM_PLUGIN_PATH: plugins, ...env },
  });
  return { ...result, state, tmp };
}

function pluginKv(state: string, plugin: string): Map<string, Uint8Array> {
  const db = new Database(join(state, "kv.sqlite"), { readonly: true });
  try {
    const rows = db.query("SELECT key, value FROM kv WHERE scope = 'plugin' AND owner = ?").all(plugin) as {
      key: Uint8Array;
      value: Uint8Array;
    }[];
    return new Map(rows.map((r) => [new TextDecoder().decode(r.key), r.value]));
  } finally {
    db.close();
  }
}

const text = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

describe("hm run with the noop runner", () => {
  const noop = pluginDir("noop-executor");

  test("JSON lines on stdout: every line a valid event, in the documented order (docs/design.md, Events and their order)", async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson(
        [{ key: "a", env: { NOOP_LOG_LINES: "3" } }, { key: "b" }, { key: "c" }],
        [
          ["a", "b", "builds_in"],
          ["a", "c", "depends_on"],
        ],
      ),
    });
    const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], noop);
    // stderr has only the plugin's own log records.
    expect(r.stderr.trimEnd().split("\n")).toEqual(
      ["a", "b", "c"].map((k) => `▶ [harmont-fixture-noop] noop ran step '${k}'`),
    );
    expect(r.exitCode).toBe(0);
    const events = parseEventStream(r.stdout);
    const kinds = events.map((e) => e.kind);
    expect(kinds.slice(0, 4)).toEqual(["build_start", "step_queued", "step_queued", "step_queued"]);
    expect(kinds.at(-1)).toBe("build_end");
    expect(kinds.filter((k) => k === "step_log").length).toBe(3);
    expect(kinds.filter((k) => k === "step_end").length).toBe(3);
    const queued = events.filter((e) => e.kind === "step_queued");
    expect(queued.map((e) => [e.key, e.parent_key])).toEqual([
      ["a", null],
      ["b", "a"],
      ["c", null],
    ]);
    const start = events[0];
    expect(start?.kind === "build_start" && start.plan).toEqual({
      step_count: 3,
      chain_count: 2,
      default_runner: "noop",
    });
    // Nothing left behind: no run directory, no temp files.
    expect(readdirSync(join(r.state, "runs"))).toEqual([]);
    expect(readdirSync(r.tmp)).toEqual([]);
    project.cleanup();
  });

  test("text a runner writes with write_stdout goes to stderr, never into the JSON or the plain lines on stdout", async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson([{ key: "talk", runner: "noop", env: { NOOP_WRITE: "raw words" } }]),
    });
    try {
      const json = await hmRun(project.root, ["--format", "json"], noop);
      expect(json.exitCode).toBe(0);
      expect(parseEventStream(json.stdout).length).toBeGreaterThan(0);
      expect(json.stdout).not.toContain("raw words");
      expect(json.stderr).toContain("raw words\n");
      const human = await hmRun(project.root, ["--logs"], noop);
      expect(human.exitCode).toBe(0);
      expect(human.stdout).toContain("[echo talk] end exit=0");
      expect(human.stdout).not.toContain("raw words");
      expect(human.stderr.split("\n")).toContain("raw words");
    } finally {
      project.cleanup();
    }
  });

  test("-e values reach every step's env, over the pipeline's", async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson([{ key: "only", env: { FOO: "pipeline", KEEP: "1" } }]),
    });
    const r = await hmRun(
      project.root,
      ["ci", "--runner", "noop", "-e", "FOO=cli", "--env=BAR=x=y", "--logs"],
      noop,
    );
    expect(r.exitCode).toBe(0);
    const input = decodeExecutorInput(
      pluginKv(r.state, "harmont-fixture-noop").get("seen:only") as Uint8Array,
    );
    expect(input.env).toMatchObject({ FOO: "cli", BAR: "x=y", KEEP: "1" });
    expect(input.workdir).toBe("/workspace");
    project.cleanup();
  });

  test("the plain renderer (no terminal): banner, workspace line, [name] lines, then the summary", async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson([{ key: "hello", env: { NOOP_LOG_LINES: "2" } }]),
      "src/a.txt": "a",
    });
    const r = await hmRun(project.root, ["--runner", "noop"], noop);
    expect(r.exitCode).toBe(0);
    // The build's lines are the output (stdout); the plugin's log records (▶ [plugin] …) stay on stderr.
    expect(r.stderr.trimEnd().split("\n")).toEqual(["▶ [harmont-fixture-noop] noop ran step 'hello'"]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("▌ hm run · ci");
    // Durations are what the (loaded) machine took: in ms, or in s past one second.
    expect(lines[1]).toMatch(/^workspace: 1 file packed in (\d+ms|\d+\.\ds) \(\d\.\d KB archive\)$/);
    // The step has a key and no label: it is named by its command, as in the progress view.
    expect(lines.slice(2, -5)).toEqual([
      "build: 1 steps in 1 chain(s)",
      "[echo hello] start (runner=noop)",
      "[echo hello] line 1",
      "[echo hello] line 2",
      expect.stringMatching(/^\[echo hello\] end exit=0 duration=\d+ms$/),
    ]);
    expect(lines.slice(-5)).toEqual([
      expect.stringMatching(/^build: end exit=0 duration=\d+ms$/),
      "",
      expect.stringMatching(/^ {2}✓ echo hello {2}(\d+ms|\d+\.\ds)$/),
      "",
      expect.stringMatching(/^✓ Build succeeded in \d/),
    ]);
    project.cleanup();
  });

  test("a failing step: exit 1, chain_failed, its dependant skipped; -k runs the independent branch", async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson(
        [
          { key: "bad", env: { NOOP_EXIT: "3" } },
          { key: "after" },
          { key: "other", env: { NOOP_SLEEP_MS: "300" } },
        ],
        [["bad", "after", "depends_on"]],
      ),
    });
    const r = await hmRun(
      project.root,
      ["--runner", "noop", "--format", "json", "-k", "--parallelism", "1"],
      noop,
    );
    expect(r.exitCode).toBe(1);
    const events = parseEventStream(r.stdout);
    const failed = events.find((e) => e.kind === "chain_failed");
    expect(failed?.kind === "chain_failed" && failed.message).toBe("step 'bad' exited with code 3");
    expect(events.find((e) => e.kind === "step_skipped")).toMatchObject({
      key: "after",
      reason: "dependency failed",
    });
    const ends = events.filter((e) => e.kind === "step_end").map((e) => e.exit_code);
    expect(ends.sort()).toEqual([0, 3]);
    project.cleanup();
  });
});

test("a step's own runner wins over --runner: the freestyle fixture runs 'fs-step' between noop steps", async () => {
  const plugins = pluginDir("noop-executor", "freestyle-runner");
  const project = makeProject({
    ".hm/ci.ir.json": irJson(
      [{ key: "first" }, { key: "fs-step", runner: "freestyle" }, { key: "last" }],
      [
        ["first", "fs-step", "depends_on"],
        ["fs-step", "last", "depends_on"],
      ],
    ),
  });
  const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], plugins);
  expect(r.exitCode).toBe(0);
  const events = parseEventStream(r.stdout);
  const runners = events.flatMap((e) => (e.kind === "step_start" ? [e.runner] : []));
  expect(runners).toEqual(["noop", "freestyle", "noop"]);
  // Per step: start, then end; each step ends before its dependant starts.
  const keyOf = new Map(
    events.flatMap((e) => (e.kind === "step_queued" ? [[e.step_id, e.key] as const] : [])),
  );
  const order = events.flatMap((e) =>
    e.kind === "step_start" || e.kind === "step_end" ? [`${e.kind}:${keyOf.get(e.step_id)}`] : [],
  );
  expect(order).toEqual([
    "step_start:first",
    "step_end:first",
    "step_start:fs-step",
    "step_end:fs-step",
    "step_start:last",
    "step_end:last",
  ]);
  expect(text(pluginKv(r.state, "harmont-fixture-freestyle").get("freestyle_called_with"))).toBe("fs-step");
  project.cleanup();
});

test("a step whose input cannot be encoded fails like any step (no hang): runner_args nested too deep", async () => {
  let deep: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < 200; i++) deep = { deeper: deep };
  const project = makeProject({
    ".hm/ci.ir.json": irJson([{ key: "a" }, { key: "b", runner_args: deep }], [["a", "b", "depends_on"]]),
  });
  const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], pluginDir("noop-executor"));
  expect(r.exitCode).toBe(6);
  const events = parseEventStream(r.stdout);
  expect(events.filter((e) => e.kind === "step_end").map((e) => e.exit_code)).toEqual([0, 1]);
  expect(events.at(-1)).toMatchObject({ kind: "build_end", exit_code: 6 });
  project.cleanup();
});

describe("choosing the pipeline and the runner", () => {
  const noop = pluginDir("noop-executor");

  test("slug: auto-picked when alone; several → exit 2 naming them; unknown → exit 2 listing them", async () => {
    const one = makeProject({ ".hm/only.ir.json": irJson([{ key: "a" }]) });
    expect((await hmRun(one.root, ["--runner", "noop", "--format", "json"], noop)).exitCode).toBe(0);
    const two = makeProject({
      ".hm/x.ir.json": irJson([{ key: "a" }]),
      ".hm/y.ir.json": irJson([{ key: "a" }]),
    });
    const several = await hmRun(two.root, ["--runner", "noop"], noop);
    expect(several.exitCode).toBe(2);
    expect(several.stderr).toContain("this repo declares pipelines: x, y");
    expect(several.stderr).toContain("pass one as the first argument");
    const unknown = await hmRun(two.root, ["zz", "--runner", "noop"], noop);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("pipeline 'zz' not found");
    expect(unknown.stderr).toContain("available: x, y");
    const none = makeProject({ "README.md": "no pipelines" });
    const empty = await hmRun(none.root, [], noop);
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain("no pipelines declared in this repo");
    for (const p of [one, two, none]) p.cleanup();
  });

  test("an unknown runner stops the run before anything starts: exit 7 listing the runners", async () => {
    const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "a" }, { key: "z", runner: "nope" }]) });
    const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], noop);
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("step 'z' requested runner 'nope', but no plugin provides it");
    expect(r.stderr).toContain("available runners: docker, noop");
    const flag = await hmRun(project.root, ["--runner", "nada"], noop);
    expect(flag.exitCode).toBe(7);
    expect(flag.stderr).toContain("runner 'nada' (--runner), but no plugin provides it");
    project.cleanup();
  });

  test("a runner whose plugin is broken: exit 5 with the plugin's reason", async () => {
    const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "a", runner: "bad" }]) });
    const r = await hmRun(project.root, [], pluginDir("bad-api-version"));
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain("needs runner 'bad', whose plugin is broken");
    expect(r.stderr).toContain("API version mismatch");
    project.cleanup();
  });

  test("a runner no plugin claims, while a plugin could not be read: the message names that plugin", async () => {
    const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "a", runner: "echo" }]) });
    const r = await hmRun(project.root, [], pluginDir("manifest-exit"));
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain(
      "step 'a' requested runner 'echo', but no plugin provides it; a plugin could not be read",
    );
    expect(r.stderr).toContain("manifest-exit");
    project.cleanup();
  });

  test("runner_args are checked against the runner's step_schema before any step runs (exit 7)", async () => {
    const dir = join(scratch.path, "schema-plugin");
    compilePlugin(
      dir,
      "schema-runner",
      `#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
static int run(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out) {
  (void)ctx; (void)in; out->exit_code = 0; return 1;
}
static const hm_capability caps[] = {{.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {
  .runner = "schemed",
  .step_schema_json = "{\\"type\\":\\"object\\",\\"properties\\":{\\"cpus\\":{\\"type\\":\\"integer\\",\\"minimum\\":1}},\\"required\\":[\\"cpus\\"],\\"additionalProperties\\":false}"}}};
static const hm_manifest manifest = {.name = "schema-runner", .version = "0.1.0", .description = "test",
  .capabilities = caps, .capability_count = 1};
static const hm_plugin_def plugin = {.manifest = &manifest, .execute_step = run};
HM_PLUGIN(plugin);
`,
    );
    const good = makeProject({
      ".hm/ci.ir.json": irJson([{ key: "a", runner: "schemed", runner_args: { cpus: 2 } }]),
    });
    const ok = await hmRun(good.root, ["--format", "json"], dir);
    expect(ok.stderr).toBe("");
    expect(ok.exitCode).toBe(0);
    const bad = makeProject({
      ".hm/ci.ir.json": irJson([
        { key: "a", runner: "schemed", runner_args: { cpus: 0, gpu: true } },
        { key: "b", runner: "schemed" },
      ]),
    });
    const r = await hmRun(bad.root, ["--format", "json"], dir);
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("step 'a': runner_args do not match the step_schema of runner 'schemed'");
    expect(r.stderr).toContain("runner_args must NOT have additional properties ('gpu')");
    expect(r.stderr).toContain("runner_args.cpus must be >= 1");
    good.cleanup();
    bad.cleanup();
  });

  test("flags: a bad --format or --parallelism or -e is a usage error (exit 2)", async () => {
    const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "a" }]) });
    const format = await hmRun(project.root, ["--format", "yaml"], noop);
    expect([
      format.exitCode,
      format.stderr.includes("unknown --format 'yaml'"),
      format.stderr.includes("available: human, json"),
    ]).toEqual([2, true, true]);
    const par = await hmRun(project.root, ["--parallelism", "-3"], noop);
    expect(par.exitCode).toBe(2);
    const env = await hmRun(project.root, ["-e", "=VALUE"], noop);
    expect([env.exitCode, env.stderr.includes("-e '=VALUE': expected KEY=VALUE")]).toEqual([2, true]);
    // KEY alone passes this shell's value; an unset one is named (test/cli/reference-flags.test.ts).
    const unset = await hmRun(project.root, ["-e", "HM_TEST_NOEQUALS_UNSET"], noop);
    expect([unset.exitCode, unset.stderr.includes("HM_TEST_NOEQUALS_UNSET is not set")]).toEqual([2, true]);
    project.cleanup();
  });
});

describe("lifecycle hooks", () => {
  test("an after hook sees exactly the events of its kinds, in one run", async () => {
    const plugins = pluginDir("noop-executor", "recording-hook");
    const project = makeProject({
      ".hm/ci.ir.json": irJson(
        [
          { key: "a", env: { NOOP_LOG_LINES: "5" } },
          { key: "b", env: { NOOP_LOG_LINES: "2" } },
          { key: "c", env: { NOOP_EXIT: "1" } },
        ],
        [
          ["a", "b", "builds_in"],
          ["b", "c", "builds_in"],
        ],
      ),
    });
    const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], plugins);
    expect(r.exitCode).toBe(1);
    const kv = pluginKv(r.state, "harmont-fixture-rec-hook");
    const counts = Object.fromEntries(
      ["build_start", "step_queued", "step_start", "step_log", "step_cache_hit", "step_end", "build_end"].map(
        (k) => [k, text(kv.get(`hook:${k}`))],
      ),
    );
    expect(counts).toEqual({
      build_start: "1",
      step_queued: "3",
      step_start: "3",
      step_log: "7",
      step_cache_hit: undefined,
      step_end: "3",
      build_end: "1",
    });
    project.cleanup();
  });

  test("a before hook's abort fails the build with its reason and name; nothing else starts", async () => {
    const plugins = pluginDir("noop-executor", "abort-hook");
    const project = makeProject({
      ".hm/ci.ir.json": irJson(
        [{ key: "abort-me" }, { key: "later" }],
        [["abort-me", "later", "depends_on"]],
      ),
    });
    const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], plugins);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      "build aborted by plugin 'harmont-fixture-abort-hook': refused step 'abort-me'",
    );
    const events = parseEventStream(r.stdout);
    expect(events.some((e) => e.kind === "step_start")).toBe(false);
    expect(events.filter((e) => e.kind === "step_skipped").map((e) => [e.key, e.reason])).toEqual([
      ["abort-me", "cancelled"],
      ["later", "cancelled"],
    ]);
    expect(events.at(-1)).toMatchObject({ kind: "build_end", exit_code: 1 });
    project.cleanup();
  });

  test("a before hook that sleeps past its timeout_ms is reported by name and aborts the build", async () => {
    const plugins = pluginDir("noop-executor", "abort-hook");
    const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "slow-one" }]) });
    const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], plugins);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("hook 'harmont-fixture-abort-hook' timed out after 1000ms on step_start");
    project.cleanup();
  });

  test("an after hook that fails is reported by name; the build still passes", async () => {
    const dir = join(scratch.path, "failing-hook");
    mkdirSync(dir, { recursive: true });
    copyFileSync(fixturePath("noop-executor"), join(dir, "noop-executor.so"));
    compileHookPlugin(dir, "failing-hook", {
      kinds: ["HM_HOOK_STEP_END"],
      phase: "after",
      timeoutMs: 2000,
      body: 'return hm_fail(ctx, "hook_broke", "cannot handle %s", hm_event_kind_name(in->event.kind));',
    });
    const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "a" }]) });
    const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], dir);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("hook 'failing-hook' failed on step_end:");
    expect(r.stderr).toContain("cannot handle step_end");
    project.cleanup();
  });

  test("a before hook's abort on step_end, answered after the last step, still fails the build", async () => {
    const dir = join(scratch.path, "end-abort");
    mkdirSync(dir, { recursive: true });
    copyFileSync(fixturePath("noop-executor"), join(dir, "noop-executor.so"));
    compileHookPlugin(dir, "end-abort", {
      kinds: ["HM_HOOK_STEP_END"],
      phase: "before",
      timeoutMs: 2000,
      body: 'out->kind = HM_HOOK_ABORT;\n  out->reason = "no deploys on Fridays";\n  return 1;',
    });
    const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "only" }]) });
    const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], dir);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("build aborted by plugin 'end-abort': no deploys on Fridays");
    project.cleanup();
  });

  test("hooks stay out of the step pool: --parallelism 1 with a before hook on every step completes", async () => {
    const plugins = pluginDir("noop-executor", "abort-hook", "recording-hook");
    const steps = Array.from({ length: 6 }, (_, i) => ({ key: `s${i}` }));
    const project = makeProject({ ".hm/ci.ir.json": irJson(steps) });
    const r = await hmRun(
      project.root,
      ["--runner", "noop", "--format", "json", "--parallelism", "1"],
      plugins,
    );
    expect(r.exitCode).toBe(0);
    expect(parseEventStream(r.stdout).filter((e) => e.kind === "step_end").length).toBe(6);
    expect(text(pluginKv(r.state, "harmont-fixture-rec-hook").get("hook:step_end"))).toBe("6");
    project.cleanup();
  });
});

test("a dead run's leftovers, and its build and step KV rows, are reaped by the next run", async () => {
  const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "a" }]) });
  const { state, tmp } = runDirs(scratch.path);
  // A run whose hm died (pid 2^22 + 1 is above Linux's pid_max default of 4194304).
  const deadRun = join(state, "runs", "dead-run");
  mkdirSync(deadRun, { recursive: true });
  mkdirSync(join(tmp, "hm-shell-dead-run", "step"), { recursive: true });
  await Bun.write(
    join(deadRun, "owner.json"),
    JSON.stringify({
      pid: 4_194_305,
      started_at: "2026-01-01T00:00:00Z",
      paths: [join(tmp, "hm-shell-dead-run")],
    }),
  );
  await Bun.write(join(deadRun, "steps"), "dead-step-1\ndead-step-2\n"); // the steps it had started
  const seeded = new KvStore(join(state, "kv.sqlite"));
  seeded.set("build", "dead-run", new TextEncoder().encode("k"), new Uint8Array([1]));
  seeded.set("step", "dead-step-2", new TextEncoder().encode("k"), new Uint8Array([3]));
  seeded.set("step", "other-step", new TextEncoder().encode("k"), new Uint8Array([4]));
  seeded.set("build", "live-run", new TextEncoder().encode("k"), new Uint8Array([2]));
  seeded.close();
  const r = await hmRun(project.root, ["--runner", "noop", "--format", "json"], pluginDir("noop-executor"), {
    state,
    tmp,
  });
  expect(r.exitCode).toBe(0);
  expect(existsSync(deadRun)).toBe(false);
  expect(existsSync(join(tmp, "hm-shell-dead-run"))).toBe(false);
  const kv = new KvStore(join(state, "kv.sqlite"));
  expect(kv.get("build", "dead-run", new TextEncoder().encode("k"))).toBeNull(); // its build-scope rows went too
  expect(kv.get("build", "live-run", new TextEncoder().encode("k"))).toEqual(new Uint8Array([2]));
  expect(kv.get("step", "dead-step-2", new TextEncoder().encode("k"))).toBeNull(); // its steps' rows too
  expect(kv.get("step", "other-step", new TextEncoder().encode("k"))).toEqual(new Uint8Array([4]));
  kv.close();
  project.cleanup();
});

test("a run records each step as it starts, for the reaper, and a killed run's record is reaped by hm gc", async () => {
  const project = makeProject({
    ".hm/ci.ir.json": irJson([{ key: "long", runner: "noop", env: { NOOP_SLEEP_MS: "20000" } }]),
  });
  const { state, tmp } = runDirs(scratch.path);
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--format", "json"], {
    cwd: project.root,
    env: { ...baseEnv(), HM_STATE_DIR: state, TMPDIR: tmp, HM_PLUGIN_PATH: pluginDir("noop-executor") },
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const reader = proc.stdout.getReader();
    let out = "";
    while (!out.includes('"kind":"step_start"')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`hm ended early: ${await new Response(proc.stderr).text()}`);
      out += new TextDecoder().decode(value);
    }
    const start = parseEventStream(out.slice(0, out.lastIndexOf("\n") + 1)).find(
      (e) => e.kind === "step_start",
    );
    const runs = readdirSync(join(state, "runs"));
    expect(runs).toHaveLength(1);
    const stepId = start?.kind === "step_start" ? start.step_id : "";
    expect(readFileSync(join(state, "runs", runs[0] as string, "steps"), "utf8")).toBe(`${stepId}\n`);
    const owner = (
      JSON.parse(readFileSync(join(state, "runs", runs[0] as string, "owner.json"), "utf8")) as {
        pid: number;
      }
    ).pid;
    proc.kill("SIGKILL");
    await proc.exited;
    // The build child (the run's owner) dies with its supervisor, once the (loaded) kernel gets to it;
    // until then gc rightly keeps the run.
    for (let waited = 0; waited < 10_000 && running(owner); waited += 20) await Bun.sleep(20);
    const gc = await runHm(["gc"], { env: { HM_STATE_DIR: state, TMPDIR: tmp } });
    expect(gc.stdout).toContain("run directories removed: 1");
    expect(readdirSync(join(state, "runs"))).toEqual([]);
  } finally {
    proc.kill("SIGKILL");
    project.cleanup();
  }
});
