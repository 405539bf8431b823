import { afterAll, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { running, runScopedRows } from "../helpers/processes.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";

// Removed when the file ends, a failing test's included.
const makeProject = projectsRemovedAfterAll();

const scratch = tempDir("hm-shell-run-");
afterAll(() => scratch.cleanup());

/** What a finished run must not leave: run records, shell directories, build-scope KV. */
function expectNothingLeft({ state, tmp }: { state: string; tmp: string }) {
  expect(readdirSync(join(state, "runs"))).toEqual([]);
  expect(readdirSync(tmp)).toEqual([]);
  expect(runScopedRows(state)).toBe(0);
}

const logLines = (stdout: string, key: string) => stepLines(parseEventStream(stdout), key);

test("steps see the working tree; a builds_in child sees its parent's files, a sibling does not", async () => {
  const project = makeProject({
    ".hm/ci.ir.json": irJson(
      [
        {
          key: "build",
          cmd: 'cat src/app.txt && echo built > out.txt && test ! -e ignored.log && echo "$GREETING"',
        },
        { key: "test", cmd: "cat out.txt && echo from-test > test.txt" },
        { key: "lint", cmd: "cat out.txt && test ! -e test.txt && echo clean" },
      ],
      [
        ["build", "test", "builds_in"],
        ["build", "lint", "builds_in"],
      ],
    ),
    ".gitignore": "*.log\n",
    "ignored.log": "noise",
    "src/app.txt": "uncommitted change\n",
  });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--runner", "shell", "--format", "json", "-e", "GREETING=hello"], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  expect(r.exitCode).toBe(0);
  expect(logLines(r.stdout, "build")).toEqual(["uncommitted change", "hello"]);
  expect(logLines(r.stdout, "test")).toEqual(["built"]);
  expect(logLines(r.stdout, "lint")).toEqual(["built", "clean"]);
  expectNothingLeft(dirs);
  // The working tree itself is untouched.
  expect(existsSync(join(project.root, "out.txt"))).toBe(false);
});

test("steps run scripts kept in .hm/scripts/; the pipeline files stay hm's", async () => {
  const project = makeProject({
    ".hm/ci.ir.json": irJson([
      { key: "check", cmd: "sh .hm/scripts/check.sh && test ! -e .hm/ci.ir.json && echo ok" },
    ]),
    ".hm/scripts/check.sh": "echo checking done\n",
  });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--runner", "shell", "--format", "json"], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  expect(r.exitCode).toBe(0);
  expect(logLines(r.stdout, "check")).toEqual(["checking done", "ok"]);
  expectNothingLeft(dirs);
});

test("a file edited with its size and mtime put back is seen by the next run (the last archive is not reused for it)", async () => {
  const project = makeProject({
    ".hm/ci.ir.json": irJson([{ key: "show", cmd: "cat src/value.txt" }]),
    "src/value.txt": "one\n",
  });
  const dirs = runDirs(scratch.path);
  const run = () =>
    runHm(["run", "--runner", "shell"], {
      cwd: project.root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
    });
  await Bun.sleep(2_100); // older than the margin under which a file is never reused
  const first = await run();
  expect(first.exitCode).toBe(0);
  expect(first.stdout).toContain("one");
  const second = await run();
  expect(second.stdout).toContain("unchanged since the last run");
  const file = join(project.root, "src/value.txt");
  const times = join(project.root, "times");
  writeFileSync(times, "");
  expect(Bun.spawnSync(["touch", "-r", file, times]).exitCode).toBe(0);
  writeFileSync(file, "two\n");
  expect(Bun.spawnSync(["touch", "-r", times, file]).exitCode).toBe(0);
  rmSync(times);
  const third = await run();
  expect(third.exitCode).toBe(0);
  expect(third.stdout).toContain("[cat src/value.txt] two");
  expect(third.stdout).not.toContain("unchanged since the last run");
});

/** A C library and a test of it: `check` prints the library's answer and passes only when it is 42. */
const CMAKE_PROJECT = {
  "CMakeLists.txt": [
    "cmake_minimum_required(VERSION 3.16)",
    "project(answer C)",
    "enable_testing()",
    "add_library(answer answer.c)",
    "add_executable(check check.c)",
    "target_link_libraries(check answer)",
    "add_test(NAME answer COMMAND check)",
    "",
  ].join("\n"),
  "answer.c": "int answer(void) { return 41; }\n",
  "check.c": [
    "#include <stdio.h>",
    "int answer(void);",
    'int main(void) { printf("answer=%d\\n", answer()); return answer() == 42 ? 0 : 1; }',
    "",
  ].join("\n"),
};

test("a CMake chain: the child rebuilds the tree its parent configured, and ctest runs the child's binaries", async () => {
  const project = makeProject({
    ...CMAKE_PROJECT,
    ".hm/ci.ir.json": irJson(
      [
        {
          key: "configure",
          cmd: "pwd -P && cmake -S . -B build >/dev/null && cmake --build build >/dev/null",
        },
        {
          key: "test",
          cmd: [
            "pwd -P",
            "printf 'int answer(void) { return 42; }\\n' > answer.c",
            "cmake --build build >/dev/null",
            "ctest --test-dir build --output-on-failure -V | grep -o 'answer=[0-9]*'",
          ].join(" && "),
        },
        { key: "run", cmd: "pwd -P && ./build/check" },
      ],
      [
        ["configure", "test", "builds_in"],
        ["test", "run", "builds_in"],
      ],
    ),
  });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--runner", "shell", "--format", "json"], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  const events = parseEventStream(r.stdout);
  const runId = events.find((e) => e.kind === "build_start")?.run_id;
  const path = join(realpathSync(dirs.tmp), `hm-shell-${runId}`, "configure");
  expect({ exit: r.exitCode, test: stepLines(events, "test") }).toEqual({
    exit: 0,
    test: [path, "answer=42"],
  });
  expect(stepLines(events, "configure")).toEqual([path]);
  expect(stepLines(events, "run")).toEqual([path, "answer=42"]);
  expectNothingLeft(dirs);
});

test("with -k, a failing builds_in child does not touch its sibling's files", async () => {
  const project = makeProject({
    "data.txt": "original\n",
    ".hm/ci.ir.json": irJson(
      [
        { key: "parent", cmd: "echo parent >> data.txt" },
        { key: "breaker", cmd: "echo broken > data.txt && rm -f data.txt && exit 3" },
        { key: "reader", cmd: "sleep 1 && cat data.txt && pwd -P" },
        { key: "after", cmd: "cat data.txt" },
      ],
      [
        ["parent", "breaker", "builds_in"],
        ["parent", "reader", "builds_in"],
        ["breaker", "after", "builds_in"],
      ],
    ),
  });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--runner", "shell", "--format", "json", "-k"], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  const events = parseEventStream(r.stdout);
  const runId = events.find((e) => e.kind === "build_start")?.run_id;
  expect(r.exitCode).toBe(1);
  expect(logLines(r.stdout, "reader")).toEqual([
    "original",
    "parent",
    join(realpathSync(dirs.tmp), `hm-shell-${runId}`, "reader"),
  ]);
  expect(events.filter((e) => e.kind === "step_skipped").map((e) => e.key)).toEqual(["after"]);
  expectNothingLeft(dirs);
});

test("a step timeout ends it 124 with the reference's message; -k keeps the independent step going", async () => {
  const project = makeProject({
    ".hm/ci.ir.json": irJson([
      { key: "slow", cmd: "sleep 30", timeout_seconds: 1 },
      { key: "quick", cmd: "sleep 1.5 && echo done" },
    ]),
  });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--runner", "shell", "--format", "json", "-k"], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  expect(r.exitCode).toBe(124);
  const events = parseEventStream(r.stdout);
  expect(events.find((e) => e.kind === "chain_failed")).toMatchObject({
    failed_step_key: "slow",
    exit_code: 124,
    message: "step 'slow' timed out after 1s",
  });
  expect(logLines(r.stdout, "quick")).toEqual(["done"]);
  expectNothingLeft(dirs);
});

test("the pipeline's timeout stops the build: exit 124", async () => {
  const project = makeProject({
    ".hm/ci.ir.json": irJson([{ key: "a", cmd: "sleep 30" }], [], { timeout_seconds: 1 }),
  });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--runner", "shell", "--format", "json"], {
    cwd: project.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  expect(r.exitCode).toBe(124);
  expect(parseEventStream(r.stdout).at(-1)).toMatchObject({ kind: "build_end", exit_code: 124 });
  expectNothingLeft(dirs);
});

test("SIGINT to a real hm run mid-step: exit 130, no stray process, no directory left", async () => {
  const project = makeProject({
    ".hm/ci.ir.json": irJson([
      { key: "long", cmd: 'sleep 60 & echo $! > "$PIDS/bg"; echo $$ > "$PIDS/sh"; wait' },
    ]),
  });
  const dirs = runDirs(scratch.path);
  const pids = join(scratch.path, crypto.randomUUID());
  mkdirSync(pids);
  const proc = Bun.spawn(
    [process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--runner", "shell", "--logs"],
    {
      cwd: project.root,
      env: { ...baseEnv(), HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, PIDS: pids },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  // Both pid files written (a file exists as soon as the shell opens it, and sh comes after bg).
  const written = (name: string) =>
    existsSync(join(pids, name)) && readFileSync(join(pids, name), "utf8").endsWith("\n");
  while (!written("bg") || !written("sh")) await Bun.sleep(20);
  proc.kill("SIGINT");
  expect(await proc.exited).toBe(130);
  const stdout = await new Response(proc.stdout).text();
  // Named by its command (cut to 40 characters), as the step has no label.
  expect(stdout).toContain('[sleep 60 & echo $! > "$PIDS/bg"; echo $…] end exit=130');
  for (const name of ["bg", "sh"]) {
    const pid = Number(readFileSync(join(pids, name), "utf8"));
    // A killed process ends once the (loaded) kernel schedules it.
    for (let waited = 0; waited < 10_000 && running(pid); waited += 20) await Bun.sleep(20);
    let state = "gone";
    try {
      // A zombie (Z) is dead: it waits for init, its new parent, to reap it.
      const status = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
      if (status !== "Z") state = `running (${status})`;
    } catch {}
    expect(`${name}: ${state}`).toBe(`${name}: gone`);
  }
  expectNothingLeft(dirs);
});
