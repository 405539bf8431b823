/**
 * `hm run --only`, `--list` and `--dry-run` (README, "Running a part of the
 * pipeline") with the real shell runner: the files steps write say which ran.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";

// Removed when the file ends, a failing test's included.
const makeProject = projectsRemovedAfterAll();

const scratch = tempDir("hm-run-only-");
afterAll(() => scratch.cleanup());

/**
 * deps → unit, types (builds_in: they read deps' made.txt); lint and other
 * alone; done after everything. types and lint share the label "check".
 * Each step touches `$MARKS/<key>`; deps fails when FAIL is set.
 */
const PIPELINE = irJson(
  [
    {
      key: "deps",
      label: "install deps",
      cmd: 'test -z "$FAIL" && echo made > made.txt && touch "$MARKS/deps"',
    },
    { key: "unit", label: "unit tests", cmd: 'cat made.txt && touch "$MARKS/unit"' },
    { key: "types", label: "check", cmd: 'cat made.txt && touch "$MARKS/types"' },
    { key: "lint", label: "check", cmd: 'touch "$MARKS/lint"' },
    { key: "other", label: "other", cmd: 'touch "$MARKS/other"' },
    { key: "done", label: "done", cmd: 'touch "$MARKS/done"' },
  ],
  [
    ["deps", "unit", "builds_in"],
    ["deps", "types", "builds_in"],
    ...(["deps", "unit", "types", "lint", "other"].map((k) => [k, "done", "depends_on"]) as [
      string,
      string,
      "depends_on",
    ][]),
  ],
);

/** Runs hm in a fresh project of PIPELINE; `ran` lists the steps that touched their mark, sorted. */
async function run(args: string[], env: Record<string, string> = {}) {
  const project = makeProject({ ".hm/ci.ir.json": PIPELINE });
  const dirs = runDirs(scratch.path);
  const marks = join(dirs.tmp, "..", "marks");
  mkdirSync(marks);
  const r = await runHm(["run", "--runner", "shell", ...args], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, MARKS: marks, ...env },
  });
  return { ...r, ran: readdirSync(marks).sort(), dirs };
}

test("--only runs the step and the steps it needs, and nothing else; the events say so", async () => {
  const r = await run(["--only", "unit", "--format", "json"]);
  expect(r.exitCode).toBe(0);
  expect(r.ran).toEqual(["deps", "unit"]);
  const events = parseEventStream(r.stdout);
  // unit started from deps' finished directory: it read the file deps wrote.
  expect(stepLines(events, "unit")).toEqual(["made"]);
  const selection = { only: ["unit"], matched: ["unit"], pipeline_step_count: 6 };
  const start = events[0];
  expect(start?.kind === "build_start" && start.selection).toEqual(selection);
  expect(start?.kind === "build_start" && start.plan.step_count).toBe(2);
  expect(events.flatMap((e) => (e.kind === "step_queued" ? [e.key] : []))).toEqual(["deps", "unit"]);
  const end = events.at(-1);
  expect(end?.kind === "build_end" && end.selection).toEqual(selection);
}, 60_000);

test("a whole run's events carry no selection", async () => {
  const r = await run(["--format", "json"]);
  expect(r.exitCode).toBe(0);
  expect(r.ran).toEqual(["deps", "done", "lint", "other", "types", "unit"]);
  const events = parseEventStream(r.stdout);
  const [start, end] = [events[0], events.at(-1)];
  expect(start?.kind).toBe("build_start");
  expect(end?.kind).toBe("build_end");
  expect(start !== undefined && "selection" in start).toBe(false);
  expect(end !== undefined && "selection" in end).toBe(false);
}, 60_000);

test("--only takes a label, several times; a label shared by two steps picks both", async () => {
  const byLabel = await run(["--only", "unit tests", "--only=other", "--format", "json"]);
  expect(byLabel.exitCode).toBe(0);
  expect(byLabel.ran).toEqual(["deps", "other", "unit"]);
  const shared = await run(["--only", "check", "--format", "json"]);
  expect(shared.exitCode).toBe(0);
  expect(shared.ran).toEqual(["deps", "lint", "types"]);
  const start = parseEventStream(shared.stdout)[0];
  expect(start?.kind === "build_start" && start.selection?.matched).toEqual(["types", "lint"]);
}, 60_000);

test("an unknown name exits 2 with the nearest step and the valid keys, and runs nothing", async () => {
  const r = await run(["--only", "unti", "--format", "json"]);
  expect(r.exitCode).toBe(2);
  expect(r.ran).toEqual([]);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain(
    "✘ --only 'unti': no step of pipeline 'ci' has this key or label: did you mean 'unit'?",
  );
  expect(r.stderr).toContain(
    "→ step keys: deps, unit, types, lint, other, done (hm run ci --list shows keys and labels)",
  );
  const far = await run(["--only", "deploy"]);
  expect(far.exitCode).toBe(2);
  expect(far.stderr).not.toContain("did you mean");
  expect((await run(["--only="])).exitCode).toBe(2);
}, 60_000);

test("a selected step whose dependency fails is skipped, never run, and the build fails", async () => {
  const r = await run(["--only", "unit", "--logs"], { FAIL: "1" });
  expect(r.exitCode).toBe(1);
  expect(r.ran).toEqual([]);
  expect(r.stdout).toContain("skipped (dependency failed)");
  expect(r.stdout.trimEnd().split("\n").at(-1)).toMatch(
    /^✗ Build failed in \S+ \(only 2 of 6 steps: --only unit\)$/,
  );
}, 60_000);

test("the human output says, at the top and in the verdict, that only a part ran", async () => {
  const r = await run(["--only", "unit", "--logs"]);
  expect(r.exitCode).toBe(0);
  expect(r.stdout.split("\n")[0]).toBe("▌ hm run · ci (only 2 of 6 steps: --only unit)");
  expect(r.stdout.trimEnd().split("\n").at(-1)).toMatch(
    /^✓ Build succeeded in \S+ \(only 2 of 6 steps: --only unit\)$/,
  );
}, 60_000);

test("--dry-run runs nothing and says the shell runner keeps no cache", async () => {
  const r = await run(["--dry-run", "--only", "unit"]);
  expect(r.exitCode).toBe(0);
  expect(r.ran).toEqual([]);
  expect(r.stdout).toBe(
    [
      "pipeline 'ci' (only 2 of 6 steps: --only unit), dry run: nothing is run",
      "KEY   NAME          RUNNER  CACHE",
      "deps  install deps  shell   run (runner 'shell' keeps no step cache)",
      "unit  unit tests    shell   run (runner 'shell' keeps no step cache)",
      "0 cache hits, 2 to run",
      "",
    ].join("\n"),
  );
  // No run was made: no run record, no shell run directory.
  expect(existsSync(join(r.dirs.state, "runs")) ? readdirSync(join(r.dirs.state, "runs")) : []).toEqual([]);
  expect(readdirSync(r.dirs.tmp)).toEqual([]);
}, 60_000);

test("--list and --dry-run together are a usage error", async () => {
  const r = await run(["--list", "--dry-run"]);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain("--list and --dry-run cannot go together");
}, 60_000);

/** Every column filled somewhere: labels and none, runners named and default, images, builds_in, depends_on, cache policies. */
const LISTED = irJson(
  [
    { key: "base", label: "Base image", image: "alpine:3", cache: { policy: "forever", key: "k1" } },
    { key: "build", label: "build", runner: "shell", cache: { policy: "on_change", key: "k2" } },
    { key: "lint", cmd: "make lint" },
    { key: "ship", label: "ship it", image: "debian:12" },
  ],
  [
    ["base", "build", "builds_in"],
    ["build", "ship", "depends_on"],
    ["lint", "ship", "depends_on"],
  ],
);

/** `hm run --list …` with an engine address nothing answers at: listing must not need one. */
async function list(args: string[]) {
  const project = makeProject({ ".hm/ci.ir.json": LISTED });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--list", ...args], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, DOCKER_HOST: `unix://${dirs.tmp}/no-engine.sock` },
  });
  expect(readdirSync(dirs.tmp)).toEqual([]);
  return r;
}

test("--list prints every step's key, name, runner, image, needs and cache policy, touching no engine", async () => {
  const r = await list([]);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toBe(
    [
      "pipeline 'ci': 4 steps",
      "KEY    NAME        RUNNER  IMAGE      BUILDS IN  AFTER        CACHE",
      "base   Base image  docker  alpine:3   -          -            forever",
      "build  build       shell   -          base       -            on_change",
      "lint   make lint   docker  -          -          -            -",
      "ship   ship it     docker  debian:12  -          build, lint  -",
      "",
    ].join("\n"),
  );
  const shell = await list(["--runner", "shell", "--only", "ship it"]);
  expect(shell.stdout.split("\n").slice(0, 2)).toEqual([
    "pipeline 'ci' (only 4 of 4 steps: --only 'ship it')",
    "KEY    NAME        RUNNER  IMAGE      BUILDS IN  AFTER        CACHE",
  ]);
  expect(shell.stdout).toContain("lint   make lint   shell ");
}, 60_000);

test("--list --format json gives the same rows, cut by --only", async () => {
  const r = await list(["--format", "json", "--only", "build"]);
  expect(r.exitCode).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({
    pipeline: "ci",
    selection: { only: ["build"], matched: ["build"], pipeline_step_count: 4 },
    steps: [
      {
        key: "base",
        label: "Base image",
        name: "Base image",
        runner: "docker",
        image: "alpine:3",
        builds_in: null,
        after: [],
        cache: { policy: "forever", key: "k1" },
      },
      {
        key: "build",
        label: "build",
        name: "build",
        runner: "shell",
        image: null,
        builds_in: "base",
        after: [],
        cache: { policy: "on_change", key: "k2" },
      },
    ],
  });
}, 60_000);

test("--list names a few of many steps waited for; the JSON names them all", async () => {
  const roots = ["a", "b", "c", "d", "e"];
  const project = makeProject({
    ".hm/ci.ir.json": irJson(
      [...roots.map((key) => ({ key })), { key: "last" }],
      roots.map((key) => [key, "last", "depends_on"] as [string, string, "depends_on"]),
    ),
  });
  const dirs = runDirs(scratch.path);
  const env = { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp };
  const text = await runHm(["run", "--list"], { cwd: project.root, env });
  const json = await runHm(["run", "--list", "--format", "json"], { cwd: project.root, env });
  expect(text.stdout.split("\n").find((line) => line.startsWith("last "))).toBe(
    "last  echo last  docker  -      -          a, b, c and 2 more  -",
  );
  const steps = (JSON.parse(json.stdout) as { steps: { key: string; after: string[] }[] }).steps;
  expect(steps.find((s) => s.key === "last")?.after).toEqual(roots);
}, 60_000);
