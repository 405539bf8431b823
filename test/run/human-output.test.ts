/**
 * Where `hm run --format human` writes when stdout is not a terminal (README,
 * "Running a pipeline"): its lines on stdout, so `hm run | tee ci.log` keeps
 * them; stderr holds diagnostics only; a pipe closed early (`| head -1`)
 * neither hangs hm nor changes its exit code. Real runs on the shell runner.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { planHumanOutput } from "../../src/run/render/human-output.ts";
import { buildBinaryOnce } from "../helpers/build-binary.ts";
import { BINARY_PATH, baseEnv, REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-human-output-");
const projects: { cleanup: () => void }[] = [];
afterAll(() => {
  for (const p of projects) p.cleanup();
  scratch.cleanup();
});

function project(steps: Parameters<typeof irJson>[0], edges: Parameters<typeof irJson>[1] = []) {
  const made = makeProject({ ".hm/ci.ir.json": irJson(steps, edges), "src/a.txt": "a\n" });
  projects.push(made);
  return made.root;
}

const FROM_SOURCE = [process.execPath, join(REPO_ROOT, "src", "main.ts")];

test("the view is drawn only on a terminal stdout; diagnostics go through it only when stderr is that terminal too", () => {
  const plan = (stdoutIsTerminal: boolean, stderrIsTerminal: boolean, logs = false, ci = false) =>
    planHumanOutput({ stdoutIsTerminal, stderrIsTerminal, logs, ci });
  expect(plan(true, true)).toEqual({ view: "progress", diagnosticsThroughView: true });
  expect(plan(true, false)).toEqual({ view: "progress", diagnosticsThroughView: false }); // 2>err.log
  expect(plan(false, true)).toEqual({ view: "plain", diagnosticsThroughView: false }); // | tee ci.log
  expect(plan(false, false)).toEqual({ view: "plain", diagnosticsThroughView: false });
  expect(plan(true, true, true)).toEqual({ view: "plain", diagnosticsThroughView: false }); // --logs
  expect(plan(true, true, false, true)).toEqual({ view: "plain", diagnosticsThroughView: false }); // CI=1
});

test("stdout piped: the banner, workspace line, step lines and summary on stdout; stderr only diagnostics", async () => {
  const root = project([
    { key: "build", label: "Build", cmd: "echo compiled; echo 'warning: unused' >&2" },
    { key: "test", label: "Test", cmd: "echo 'not ok 1'; exit 4" },
  ]);
  const dirs = runDirs(scratch.path);
  // -v adds the shell runner's debug records: diagnostics, so stderr.
  const r = await runHm(["run", "--runner", "shell", "-v", "--parallelism", "1", "-k"], {
    cwd: root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  expect(r.exitCode).toBe(1);
  const out = r.stdout.trimEnd().split("\n");
  expect(out[0]).toBe("▌ hm run · ci");
  expect(out[1]).toMatch(/^workspace: 1 file packed in \d+/);
  expect(out).toContain("build: 2 steps in 2 chain(s)");
  // A step's own stderr is part of its log, so it is a step line too.
  expect(out).toContain("[Build] compiled");
  expect(out).toContain("[Build] warning: unused");
  expect(out).toContain("[Test] not ok 1");
  expect(out).toContain("--- Test failed (exit 4) ---");
  expect(out.at(-1)).toMatch(/^✗ Build failed in \d/);
  // stderr: the logger's debug records, one per step, and nothing of the build's lines.
  const err = r.stderr.trimEnd().split("\n");
  expect(err.length).toBe(2);
  for (const line of err) expect(line).toMatch(/^· \[shell\] step '(build|test)' runs in /);
  expect(r.stderr).not.toContain("hm run ·");
  expect(r.stderr).not.toContain("compiled");
  expect(r.stdout).not.toContain("[shell] step");
}, 60_000);

test("--logs and CI=1 give the same plain lines on stdout; JSON keeps stdout for events", async () => {
  const root = project([{ key: "hello", cmd: "echo hi there" }]);
  for (const [args, env] of [
    [["--logs"], {}],
    [[], { CI: "1" }],
  ] as const) {
    const dirs = runDirs(scratch.path);
    const r = await runHm(["run", "--runner", "shell", ...args], {
      cwd: root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, ...env },
    });
    expect({ args, code: r.exitCode, stderr: r.stderr }).toEqual({ args, code: 0, stderr: "" });
    expect(r.stdout).toContain("[echo hi there] hi there\n");
    expect(r.stdout.trimEnd()).toMatch(/✓ Build succeeded in \S+$/);
  }
  const dirs = runDirs(scratch.path);
  const json = await runHm(["run", "--runner", "shell", "--format", "json"], {
    cwd: root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  expect(json.exitCode).toBe(0);
  for (const line of json.stdout.trimEnd().split("\n")) expect(JSON.parse(line)).toHaveProperty("kind");
  expect(json.stderr).toBe("");
}, 60_000);

test("a usage error goes to stderr alone, with nothing on stdout", async () => {
  const root = project([{ key: "hello" }]);
  const r = await runHm(["run", "--runner", "shell", "--parallelism", "many"], { cwd: root });
  expect(r.exitCode).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain("--parallelism 'many': expected a whole number");
}, 60_000);

/**
 * `hm … | <reader>` in bash, the way a user types it; bash records hm's own
 * exit code (PIPESTATUS), which `$?` of the pipeline would hide.
 */
async function pipeline(hm: readonly string[], reader: string, cwd: string, env: Record<string, string>) {
  const codeFile = join(scratch.path, `${crypto.randomUUID()}.code`);
  const proc = Bun.spawn(
    ["bash", "-c", `"$@" 2>/dev/null | ${reader}; echo "\${PIPESTATUS[0]}" > "${codeFile}"`, "hm", ...hm],
    { cwd, env: { ...baseEnv(), ...env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" },
  );
  // A closed pipe must not leave hm waiting: give up long before the test's timeout.
  const timer = setTimeout(() => proc.kill("SIGKILL"), 25_000);
  const [screen, exited] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(timer);
  expect(exited).toBe(0);
  return { screen, hmExit: Number(readFileSync(codeFile, "utf8").trim()) };
}

describe("a pipe closed early (hm run | head -1)", () => {
  // Every line but the first is written after head has gone: the steps wait first.
  const failing = () =>
    project(
      [
        { key: "slow", cmd: "sleep 0.5; seq 2000" },
        { key: "bad", cmd: "sleep 0.5; seq 2000; exit 3" },
      ],
      [["slow", "bad", "depends_on"]],
    );
  const passing = () => project([{ key: "slow", cmd: "sleep 0.5; seq 2000" }]);

  for (const format of ["human", "json"] as const) {
    test(`--format ${format}: hm ends with the build's exit code, 1 for a failure and 0 for a pass`, async () => {
      for (const [root, code] of [
        [failing(), 1],
        [passing(), 0],
      ] as const) {
        const dirs = runDirs(scratch.path);
        const r = await pipeline(
          [...FROM_SOURCE, "run", "--runner", "shell", "--format", format],
          "head -1",
          root,
          { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
        );
        // head got hm's first line: the pipe carried the output, and was closed after it.
        if (format === "human") expect(r.screen).toBe("▌ hm run · ci\n");
        else expect(JSON.parse(r.screen).kind).toBe("build_start");
        expect(r.hmExit).toBe(code);
      }
    }, 60_000);
  }
});

describe("the compiled binary", () => {
  beforeAll(() => buildBinaryOnce(), 120_000);

  test("hm run | tee ci.log: the screen and the file get the same lines, the summary last", async () => {
    const root = project([{ key: "hello", label: "Say hi", cmd: "echo hi; exit 2" }]);
    const dirs = runDirs(scratch.path);
    const log = join(scratch.path, `${crypto.randomUUID()}.log`);
    const r = await pipeline([BINARY_PATH, "run", "--runner", "shell"], `tee "${log}"`, root, {
      HM_STATE_DIR: dirs.state,
      TMPDIR: dirs.tmp,
    });
    expect(r.hmExit).toBe(1);
    const file = readFileSync(log, "utf8");
    expect(file).toBe(r.screen);
    expect(file).toStartWith("▌ hm run · ci\nworkspace: 1 file packed in ");
    expect(file).toContain("[Say hi] hi\n");
    expect(file).toContain("--- Say hi failed (exit 2) ---\nhi\n");
    expect(file.trimEnd()).toMatch(/✗ Build failed in \S+$/);
  }, 60_000);
});
