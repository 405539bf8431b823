/**
 * `hm --debug-trace PATH` (README, "Where the time goes: --debug-trace"):
 * real `hm run`s on the shell runner write a Trace Event Format file holding
 * the supervisor's and the build child's spans, each step on its own track
 * inside the build span; a failing build and a build child that dies still
 * write it; a path that cannot be written stops hm (exit 2) before anything
 * runs; the compiled binary does the same. The docker runner's spans are in
 * test/docker/debug-trace.test.ts.
 */
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { buildBinaryOnce } from "../helpers/build-binary.ts";
import { baseEnv, REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";
import { only, readTrace, type Trace, within } from "../helpers/trace-file.ts";

const scratch = tempDir("hm-debug-trace-");
afterAll(() => scratch.cleanup());
const makeProject = projectsRemovedAfterAll();

/**
 * Steps a and b each wait until the other has started (a barrier in `dir`),
 * so they can only pass when they ran at the same time; c needs both.
 */
function parallelProject(dir: string) {
  mkdirSync(dir, { recursive: true });
  const meet = (me: string, other: string) =>
    `touch ${dir}/${me}; n=0; while [ ! -e ${dir}/${other} ]; do n=$((n+1)); [ $n -gt 600 ] && exit 9; sleep 0.05; done; echo ${me}`;
  return makeProject({
    ".hm/ci.ir.json": irJson(
      [
        { key: "a", cmd: meet("a", "b") },
        { key: "b", cmd: meet("b", "a") },
        { key: "c", cmd: "echo c" },
      ],
      [
        ["a", "c", "depends_on"],
        ["b", "c", "depends_on"],
      ],
    ),
    "src/file.txt": "packed\n",
  });
}

async function traceRun(
  args: string[],
  root: string,
  options: { binary?: boolean; env?: Record<string, string>; trace?: string } = {},
) {
  const trace = options.trace ?? join(scratch.path, `${crypto.randomUUID()}.json`);
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--runner", "shell", "--format", "json", "--debug-trace", trace, ...args], {
    cwd: root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, ...options.env },
    ...(options.binary === true ? { binary: true } : {}),
  });
  return { ...r, trace, dirs };
}

/** Nothing but the trace itself next to it: no fragment, no temporary file. */
function expectAloneInItsDirectory(trace: string) {
  expect(readdirSync(dirname(trace)).filter((f) => f.startsWith(basename(trace)))).toEqual([basename(trace)]);
}

/** The supervisor's and the build child's pids, each named, the child's spans inside its lifetime. */
function expectBothProcesses(t: Trace): { child: number } {
  const lifetime = only(t, "build child");
  const child = lifetime.args.pid as number;
  expect(t.processes.get(lifetime.pid)).toBe("hm (supervisor)");
  expect(t.processes.get(child)).toBe("hm (build child)");
  expect(child).not.toBe(lifetime.pid);
  const run = t.spans.find((s) => s.name === "hm run");
  expect(run?.pid).toBe(child);
  const childSpans = t.spans.filter((s) => s.pid === child && s.name !== "start-up");
  expect(childSpans.length).toBeGreaterThan(3);
  for (const span of childSpans) expect(within(span, lifetime)).toBe(true);
  return { child };
}

test("hm run --debug-trace: every phase, each step on its own track inside the build, parallel steps side by side", async () => {
  const project = parallelProject(join(scratch.path, crypto.randomUUID()));
  // Inside the project: what hm writes while it runs (the fragment) must not be packed.
  const inProject = join(project.root, "trace.json");
  const r = await traceRun(["--parallelism", "2"], project.root, { trace: inProject });
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
  const t = readTrace(r.trace);
  expectAloneInItsDirectory(r.trace);
  // The fragment, in the temporary directory, is gone.
  expect(readdirSync(r.dirs.tmp)).toEqual([]);
  const { child } = expectBothProcesses(t);
  const ofChild = (name: string) => {
    const span = only({ ...t, spans: t.spans.filter((s) => s.pid === child) }, name);
    expect(span.tid).toBe(1);
    return span;
  };
  for (const phase of ["start-up", "load config", "load pipelines", "validate IR", "plan", "final sweep"])
    ofChild(phase);
  const pack = ofChild("pack workspace");
  expect(pack.args).toMatchObject({ files: 1, reused_files: 0, unchanged: false });
  expect(pack.args.bytes as number).toBeGreaterThan(0);
  const build = ofChild("build");
  expect(build.args.exit_code).toBe(0);
  expect(within(build, ofChild("hm run"))).toBe(true);

  const steps = ["a", "b", "c"].map((key) => only(t, `step ${key}`));
  for (const step of steps) {
    expect(step.pid).toBe(child);
    expect(step.args).toMatchObject({ runner: "shell", outcome: "passed", exit_code: 0 });
    expect(step.dur).toBeGreaterThan(0);
    expect(within(step, build)).toBe(true);
    expect(t.tracks.get(`${child}:${step.tid}`)).toBe(step.name);
    // The step's process: the shell plugin's execute_step call, on the step's track, inside the step.
    const calls = t.spans.filter((s) => s.name === "plugin shell execute_step" && s.tid === step.tid);
    expect(calls).toHaveLength(1);
    expect(within(calls[0] as (typeof calls)[0], step)).toBe(true);
  }
  const [a, b, c] = steps as [(typeof steps)[0], (typeof steps)[0], (typeof steps)[0]];
  expect(new Set(steps.map((s) => s.tid)).size).toBe(3);
  // a and b met at the barrier: their spans overlap; c started after both ended.
  expect(a.ts < b.ts + b.dur && b.ts < a.ts + a.dur).toBe(true);
  expect(c.ts).toBeGreaterThanOrEqual(Math.max(a.ts + a.dur, b.ts + b.dur));
}, 60_000);

test("a failing build still writes the trace; the failed step says so", async () => {
  const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "broken", cmd: "echo no; exit 3" }]) });
  const r = await traceRun([], project.root);
  expect(r.exitCode).toBe(1);
  const t = readTrace(r.trace);
  expectBothProcesses(t);
  expect(only(t, "step broken").args).toMatchObject({ outcome: "failed", exit_code: 3 });
  expect(only(t, "build").args.exit_code).toBe(1);
  expectAloneInItsDirectory(r.trace);
}, 60_000);

test("Ctrl-C mid-step: hm exits 130 and the trace holds the cancelled step", async () => {
  const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "long", cmd: "echo started; sleep 60" }]) });
  const trace = join(scratch.path, `${crypto.randomUUID()}.json`);
  const dirs = runDirs(scratch.path);
  const proc = Bun.spawn(
    [
      process.execPath,
      join(REPO_ROOT, "src", "main.ts"),
      "run",
      "--runner",
      "shell",
      "--format",
      "json",
    ].concat(["--debug-trace", trace]),
    {
      cwd: project.root,
      env: { ...baseEnv(), HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  let stdout = "";
  const decoder = new TextDecoder();
  const reader = proc.stdout.getReader();
  // The step has printed its line: it is running.
  while (!stdout.includes('"line":"started"')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`hm ended early: ${await new Response(proc.stderr).text()}`);
    stdout += decoder.decode(value, { stream: true });
  }
  proc.kill("SIGINT");
  expect(await proc.exited).toBe(130);
  const t = readTrace(trace);
  expectBothProcesses(t);
  const step = only(t, "step long");
  expect(step.args).toMatchObject({ outcome: "cancelled", exit_code: 130 });
  expect(step.args.unfinished).toBeUndefined();
  expect(within(step, only(t, "build"))).toBe(true);
  expectAloneInItsDirectory(trace);
}, 60_000);

test("a build child that dies mid-step leaves a valid trace: its spans so far, the open ones marked unfinished", async () => {
  const plugins = join(scratch.path, crypto.randomUUID());
  mkdirSync(plugins);
  const library = `exiting-runner.${LIBRARY_EXTENSION}`;
  copyFileSync(join(REPO_ROOT, "build", "fixtures", library), join(plugins, library));
  const project = makeProject({
    ".hm/ci.ir.json": irJson([
      { key: "doomed", runner: "exiting", env: { EXITING_MODE: "segv", EXITING_AFTER_MS: "300" } },
    ]),
  });
  const r = await traceRun([], project.root, { env: { HM_PLUGIN_PATH: plugins } });
  expect(r.exitCode).toBe(6);
  const t = readTrace(r.trace);
  const { child } = expectBothProcesses(t);
  const step = only(t, "step doomed");
  expect(step.pid).toBe(child);
  expect(step.args).toMatchObject({ runner: "exiting", unfinished: true });
  expect(only(t, "hm run").args.unfinished).toBe(true);
  expect(only(t, "pack workspace").args.unfinished).toBeUndefined();
  expect(only(t, "after the child's death").args.unfinished).toBeUndefined();
  expectAloneInItsDirectory(r.trace);
}, 60_000);

test("a trace path that cannot be written: exit 2 naming it, before anything runs", async () => {
  const marker = join(scratch.path, `${crypto.randomUUID()}.ran`);
  const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "mark", cmd: `touch ${marker}` }]) });
  const missingDir = join(scratch.path, "no-such-dir", "trace.json");
  const aDirectory = join(scratch.path, `${crypto.randomUUID()}.json`);
  mkdirSync(aDirectory);
  for (const [path, why] of [
    [missingDir, "its directory does not exist"],
    [aDirectory, "it is a directory"],
  ] as const) {
    const dirs = runDirs(scratch.path);
    const r = await runHm(["--debug-trace", path, "run", "--runner", "shell"], {
      cwd: project.root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`--debug-trace ${path}: cannot write the trace there (${why})`);
    expect(r.stdout).toBe("");
    expect(existsSync(marker)).toBe(false);
    // Not even the build child started: no run directory was made.
    expect(existsSync(join(dirs.state, "runs"))).toBe(false);
  }
  expect(readdirSync(aDirectory)).toEqual([]);
}, 60_000);

test("other commands write their command's span; without the flag hm writes nothing", async () => {
  const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "one" }]) });
  const trace = join(scratch.path, `${crypto.randomUUID()}.json`);
  const r = await runHm(["pipelines", "--debug-trace", trace], { cwd: project.root });
  expect(r.exitCode).toBe(0);
  const t = readTrace(trace);
  const command = only(t, "hm pipelines");
  expect(t.processes.get(command.pid)).toBe("hm");
  expect(within(only(t, "validate IR"), command)).toBe(true);
  expectAloneInItsDirectory(trace);

  const quiet = join(scratch.path, crypto.randomUUID());
  mkdirSync(quiet);
  const plain = await runHm(["pipelines"], { cwd: project.root, env: { TMPDIR: quiet } });
  expect(plain.exitCode).toBe(0);
  expect(readdirSync(quiet)).toEqual([]);
}, 60_000);

test("pipeline evaluation is a span of its own: TypeScript and Python files", async () => {
  const typescript = makeProject({
    ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";
export default { slug: "ci", pipeline: pipeline([sh("echo hi", { label: "a" })]) };
`,
  });
  const python = makeProject({
    ".hm/ci.py": `import harmont as hm


@hm.pipeline("ci")
def ci():
    return hm.sh("echo hi")
`,
  });
  for (const [project, name] of [
    [typescript, "evaluate TypeScript pipelines"],
    [python, "evaluate Python pipelines"],
  ] as const) {
    const trace = join(scratch.path, `${crypto.randomUUID()}.json`);
    const r = await runHm(["--debug-trace", trace, "pipelines"], { cwd: project.root });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const t = readTrace(trace);
    const evaluation = only(t, name);
    expect(evaluation.args.files).toBe(1);
    expect(within(evaluation, only(t, "load pipelines"))).toBe(true);
    expect(within(only(t, "validate IR"), only(t, "hm pipelines"))).toBe(true);
  }
}, 60_000);

test("the compiled binary writes the same trace, with its build child's spans", async () => {
  buildBinaryOnce();
  const project = parallelProject(join(scratch.path, crypto.randomUUID()));
  const r = await traceRun(["--parallelism", "2"], project.root, { binary: true });
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
  const t = readTrace(r.trace);
  const { child } = expectBothProcesses(t);
  const build = only(t, "build");
  for (const key of ["a", "b", "c"]) {
    const step = only(t, `step ${key}`);
    expect(step.pid).toBe(child);
    expect(within(step, build)).toBe(true);
  }
  expect(only(t, "step a").tid).not.toBe(only(t, "step b").tid);
  expectAloneInItsDirectory(r.trace);
}, 180_000);
