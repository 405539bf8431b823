import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { parseEventStream } from "../helpers/event-schema.ts";
import { REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { running, runScopedRows } from "../helpers/processes.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";

const scratch = tempDir("hm-plugin-death-");
afterAll(() => scratch.cleanup());
const makeProject = projectsRemovedAfterAll();

const plugins = join(scratch.path, "plugins");
mkdirSync(plugins, { recursive: true });
copyFileSync(
  join(REPO_ROOT, "build", "fixtures", `exiting-runner.${LIBRARY_EXTENSION}`),
  join(plugins, `exiting-runner.${LIBRARY_EXTENSION}`),
);
const PLUGIN = "harmont-fixture-exiting";

/** What a finished run must not leave: run records, shell directories, build- and step-scope KV. */
function expectNothingLeft({ state, tmp }: { state: string; tmp: string }) {
  expect(readdirSync(join(state, "runs"))).toEqual([]);
  expect(readdirSync(tmp)).toEqual([]);
  expect(runScopedRows(state)).toBe(0);
}

const cases = [
  { mode: "exit0", how: "ended the process (exit code 0)" },
  { mode: "exit3", how: "ended the process (exit code 3)" },
  { mode: "segv", how: "crashed (SIGSEGV)" },
  { mode: "abort", how: "crashed (SIGABRT)" },
];

for (const { mode, how } of cases) {
  test(`execute_step that ${mode === "segv" ? "segfaults" : mode === "abort" ? "aborts" : `calls exit(${mode.slice(4)})`}: exit 6, the plugin, method and step named, no build_end`, async () => {
    const project = makeProject({
      ".hm/ci.ir.json": irJson([
        // The bundled shell plugin's build_start hook runs beside the step; waiting 500 ms first
        // leaves the step's call alone in flight, so the culprit is the only candidate.
        {
          key: "build",
          label: "build",
          runner: "exiting",
          env: { EXITING_MODE: mode, EXITING_AFTER_MS: "500" },
        },
      ]),
    });
    const dirs = runDirs(scratch.path);
    const r = await runHm(["run", "--format", "json"], {
      cwd: project.root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, HM_PLUGIN_PATH: plugins },
    });
    expect(r.stderr).toContain(`✘ plugin '${PLUGIN}' ${how} during execute_step of step 'build'`);
    expect(r.exitCode).toBe(6);
    const kinds = parseEventStream(r.stdout).map((e) => e.kind);
    expect(kinds).toContain("step_start");
    expect(kinds).not.toContain("build_end");
    expectNothingLeft(dirs);
  }, 60_000);
}

test("a crash mid-build stops the other steps' processes and cleans the run as on cancel", async () => {
  const pidsDir = join(scratch.path, crypto.randomUUID());
  mkdirSync(pidsDir);
  const project = makeProject({
    ".hm/ci.ir.json": irJson([
      {
        key: "other",
        label: "other",
        runner: "shell",
        cmd: `sleep 300 & echo "$!" > ${pidsDir}/bg; echo "$$" > ${pidsDir}/sh; wait`,
      },
      {
        key: "build",
        label: "build",
        runner: "exiting",
        env: { EXITING_MODE: "segv", EXITING_AFTER_MS: "1500" },
      },
    ]),
  });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--format", "json", "--parallelism", "2"], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, HM_PLUGIN_PATH: plugins },
  });
  expect(r.exitCode).toBe(6);
  // Two calls were in flight, and which thread crashed cannot be seen from outside: both are named.
  expect(r.stderr).toContain("✘ a plugin crashed (SIGSEGV); running then: ");
  expect(r.stderr).toContain(`plugin '${PLUGIN}' (execute_step of step 'build')`);
  expect(r.stderr).toContain("plugin 'shell' (execute_step of step 'other')");
  const pids = readdirSync(pidsDir).map((n) => Number(readFileSync(join(pidsDir, n), "utf8").trim()));
  expect(pids.length).toBe(2);
  await Bun.sleep(100); // SIGKILL is delivered; init may take a moment to reap the orphans
  expect(pids.filter(running)).toEqual([]);
  expectNothingLeft(dirs);
}, 60_000);

test("a record and a line a plugin emitted 1.5 s before it segfaults, without polling, were shown", async () => {
  const project = makeProject({
    ".hm/ci.ir.json": irJson([
      {
        key: "build",
        label: "build",
        runner: "exiting",
        env: {
          EXITING_MODE: "segv",
          EXITING_AFTER_MS: "500",
          EXITING_LOG: "last words",
          EXITING_NAP_MS: "1500",
        },
      },
    ]),
  });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--format", "json"], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, HM_PLUGIN_PATH: plugins },
  });
  expect(r.stderr).toContain(`✘ plugin '${PLUGIN}' crashed (SIGSEGV) during execute_step of step 'build'`);
  // The plugin's record (on stderr, tagged with its name) and its step line (a step_log event).
  expect(r.stderr).toContain(`[${PLUGIN}] last words`);
  const lines = parseEventStream(r.stdout).flatMap((e) => (e.kind === "step_log" ? [e.line] : []));
  expect(lines).toEqual(["last words"]);
  expectNothingLeft(dirs);
}, 60_000);
