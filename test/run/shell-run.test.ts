/**
 * `hm run --runner shell` end to end: the working tree (uncommitted files
 * included, ignored ones not) reaches the steps, builds_in children inherit
 * their parent's directory, `-e` reaches the env, timeouts and keep-going
 * behave, and SIGINT mid-step leaves no process and no directory behind.
 */
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-shell-run-");
afterAll(() => scratch.cleanup());

/** What a finished run must not leave: run records, shell directories, build-scope KV. */
function expectNothingLeft({ state, tmp }: { state: string; tmp: string }) {
  expect(readdirSync(join(state, "runs"))).toEqual([]);
  expect(readdirSync(tmp)).toEqual([]);
  if (existsSync(join(state, "kv.sqlite"))) {
    const db = new Database(join(state, "kv.sqlite"), { readonly: true });
    const rows = db.query("SELECT count(*) AS n FROM kv WHERE scope != 'plugin'").get() as { n: number };
    db.close();
    expect(rows.n).toBe(0);
  }
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
  project.cleanup();
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
  project.cleanup();
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
  project.cleanup();
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
  while (!existsSync(join(pids, "bg")) || readFileSync(join(pids, "bg"), "utf8") === "") await Bun.sleep(20);
  proc.kill("SIGINT");
  expect(await proc.exited).toBe(130);
  const stderr = await new Response(proc.stderr).text();
  // Named by its command (cut to 40 characters), as the step has no label.
  expect(stderr).toContain('[sleep 60 & echo $! > "$PIDS/bg"; echo $…] end exit=130');
  for (const name of ["bg", "sh"]) {
    const pid = Number(readFileSync(join(pids, name), "utf8"));
    let state = "gone";
    try {
      // A zombie (Z) is dead: it waits for init, its new parent, to reap it.
      const status = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
      if (status !== "Z") state = `running (${status})`;
    } catch {}
    expect(`${name}: ${state}`).toBe(`${name}: gone`);
  }
  expectNothingLeft(dirs);
  project.cleanup();
});
