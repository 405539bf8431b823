/**
 * Run history on real runs of hm (shell runner): every run's logs are saved as
 * it goes, `hm runs` lists them, `hm logs` prints, filters and follows them,
 * a killed run keeps what it had and is never listed as passed, retention
 * keeps the newest runs and never a live run's, and two runs of one project
 * at once keep their own records.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinaryOnce } from "../helpers/build-binary.ts";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson, type TestStep } from "../helpers/ir.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";

const scratch = tempDir("hm-history-");
afterAll(() => scratch.cleanup());
const makeProject = projectsRemovedAfterAll();

interface Setup {
  root: string;
  env: Record<string, string>;
}

function setup(
  steps: TestStep[],
  extraEnv: Record<string, string> = {},
  edges: Parameters<typeof irJson>[1] = [],
): Setup {
  const project = makeProject({ ".hm/ci.ir.json": irJson(steps, edges) });
  const dirs = runDirs(scratch.path);
  return { root: project.root, env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, ...extraEnv } };
}

const hm = (s: Setup, args: string[], env: Record<string, string> = {}) =>
  runHm(args, { cwd: s.root, env: { ...s.env, ...env } });
const run = (s: Setup, args: string[] = [], env: Record<string, string> = {}) =>
  hm(s, ["run", "--runner", "shell", ...args], env);

interface ListedRun {
  run_id: string;
  pipeline: string;
  started_at: string;
  duration_ms: number;
  result: string;
  exit_code: number | null;
  failed_steps: { key: string; name: string }[];
  unfinished_steps: { key: string; name: string }[];
  dir: string;
}

async function listRuns(s: Setup): Promise<ListedRun[]> {
  const r = await hm(s, ["runs", "--format", "json"]);
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout) as ListedRun[];
}

/** Starts `hm run` as a process of its own (to be followed, or killed). */
function spawnRun(s: Setup, args: string[] = []) {
  return Bun.spawn(
    [process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--runner", "shell", ...args],
    {
      cwd: s.root,
      env: { ...baseEnv(), ...s.env },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
}

async function until<T>(
  what: string,
  probe: () => T | null | undefined | Promise<T | null | undefined>,
): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    await Bun.sleep(50);
  }
  throw new Error(`gave up waiting: ${what}`);
}

const seq = (from: number, to: number, text: string) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${text} ${from + i}`);

describe("a failed step whose log the summary cuts", () => {
  const s = setup([
    {
      key: "build",
      label: "build it",
      cmd: 'i=0; while [ "$i" -lt 5000 ]; do i=$((i + 1)); echo "unit $i"; done; echo "broken" >&2; exit 3',
    },
  ]);
  let printed = "";
  let command: string[] = [];

  test("the summary ends the failed step's section with the command that prints all of it", async () => {
    const r = await run(s, ["--logs"]);
    expect(r.exitCode).toBe(1);
    printed = r.stdout;
    const lines = r.stdout.trimEnd().split("\n");
    const at = lines.indexOf("--- build it failed (exit 3) ---");
    expect(lines[at + 1]).toBe("… 4981 earlier lines not shown");
    expect(lines[at + 21]).toBe("broken");
    const full = lines[at + 22] ?? "";
    expect(full).toMatch(/^full log: hm logs [0-9a-f]{8} 'build it'$/);
    command = ["logs", /hm logs (\S+)/.exec(full)?.[1] ?? "", "build it"];
  });

  test("that command prints every line the step printed, in order, and nothing else", async () => {
    expect(printed).not.toBe("");
    const r = await hm(s, command);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${[...seq(1, 5000, "unit"), "broken"].join("\n")}\n`);
    // By key too, and as the latest run's step when the run is left out.
    expect((await hm(s, ["logs", command[1] as string, "build"])).stdout).toBe(r.stdout);
    expect((await hm(s, ["logs", "build it"])).stdout).toBe(r.stdout);
  });

  test("hm runs lists it as failed, naming the step; hm logs replays the whole run", async () => {
    const [listed, ...others] = await listRuns(s);
    expect(others).toEqual([]);
    expect(listed?.run_id.startsWith(command[1] as string)).toBe(true);
    expect(listed).toMatchObject({ pipeline: "ci", result: "failed", exit_code: 1, unfinished_steps: [] });
    expect(listed?.failed_steps).toEqual([{ key: "build", name: "build it" }]);
    const table = await hm(s, ["runs"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^RUN +PIPELINE +STARTED +DURATION +RESULT +FAILED STEPS$/);
    expect(table.stdout.split("\n")[1]).toMatch(
      new RegExp(`^${command[1]} +ci +\\S+ \\S+ +\\S+ +failed +build it$`),
    );
    const all = await hm(s, ["logs"]);
    expect(all.exitCode).toBe(0);
    const replayed = all.stdout.split("\n");
    expect(replayed).toContain("[build it] unit 1");
    expect(replayed).toContain("[build it] unit 5000");
    expect(replayed).toContain("[build it] broken");
    expect(replayed.filter((l) => l.startsWith("[build it] unit ")).length).toBe(5000);
    expect(all.stdout.trimEnd()).toMatch(/✗ Build failed in \S+$/);
  });

  test("the saved files are private: 0700 directories, 0600 files", () => {
    const dir = join(s.env.HM_STATE_DIR as string, "history");
    const walk = (path: string): string[] =>
      statSync(path).isDirectory()
        ? [path, ...readdirSync(path).flatMap((n) => walk(join(path, n)))]
        : [path];
    const paths = walk(dir);
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths)
      expect([path, statSync(path).mode & 0o777]).toEqual([
        path,
        statSync(path).isDirectory() ? 0o700 : 0o600,
      ]);
  });
});

test("hm logs --format json gives back the event stream hm run --format json printed, byte for byte", async () => {
  // Step names that are not hex: `hm logs WORD` takes a word that starts the run's id for the run.
  const s = setup([
    {
      key: "first",
      cmd: `echo one; echo two >&2; printf '%s\\n' 'é 😀 "quoted" \\ back' '{"kind":"step_log"}' '[0,0,1]'`,
    },
    { key: "b", label: "bumble", cmd: "printf 'no newline at the end'" },
  ]);
  const r = await run(s, ["--format", "json"]);
  expect(r.exitCode).toBe(0);
  const events = parseEventStream(r.stdout);
  expect(events.length).toBeGreaterThan(8);
  const saved = await hm(s, ["logs", "--format", "json"]);
  expect(saved.exitCode).toBe(0);
  expect(saved.stdout).toBe(r.stdout);
  // One step: only its events.
  const b = await hm(s, ["logs", "bumble", "--format", "json"]);
  const bId = events.find((e) => e.kind === "step_queued" && e.key === "b");
  const stepId = bId !== undefined && "step_id" in bId ? bId.step_id : "";
  const own = parseEventStream(r.stdout).filter((e) => "step_id" in e && e.step_id === stepId);
  expect(b.stdout).toBe(`${own.map((e) => JSON.stringify(e)).join("\n")}\n`);
  expect((await hm(s, ["logs", "bumble"])).stdout).toBe("no newline at the end\n");
  // Both streams, in the order the run reported them.
  const aLines = stepLines(events, "first");
  expect(aLines).toContain('é 😀 "quoted" \\ back');
  expect(aLines).toContain('{"kind":"step_log"}');
  expect(aLines).toContain("two");
  expect((await hm(s, ["logs", "first"])).stdout).toBe(`${aLines.join("\n")}\n`);
  const [listed] = await listRuns(s);
  expect(listed).toMatchObject({ result: "passed", exit_code: 0, failed_steps: [] });
  // A part of the pipeline (--only: build_start and build_end carry the selection) and -b/-m (source).
  const part = await run(s, ["--format", "json", "--only", "bumble", "-b", "topic", "-m", "a message"]);
  expect(part.stdout).toContain('"selection":');
  expect(part.stdout).toContain('"message":"a message"');
  const partSaved = await hm(s, ["logs", "--format", "json"]);
  expect(partSaved.stdout).toBe(part.stdout);
  // hm runs never lists a part as the whole pipeline.
  const [partListed, wholeListed] = await listRuns(s);
  expect(partListed).toMatchObject({ result: "passed", only: { names: ["bumble"], steps: 1, of: 2 } });
  expect(wholeListed).toMatchObject({ result: "passed", only: null });
  const table = await hm(s, ["runs"]);
  expect(table.stdout).toContain("ci (only 1 of 2 steps)");
});

test("kill -9 of hm mid-run: the lines saved so far stay, and the run is listed as interrupted, never passed", async () => {
  const marker = join(scratch.path, crypto.randomUUID());
  // slow waits for early, so early has ended in the record by the time slow prints.
  const s = setup(
    [
      { key: "early", label: "early", cmd: "echo done early" },
      {
        key: "slow",
        label: "slow",
        cmd: `i=0; while [ "$i" -lt 300 ]; do i=$((i + 1)); echo "before kill $i"; done; touch ${marker}; sleep 300`,
      },
    ],
    {},
    [["early", "slow", "depends_on"]],
  );
  const proc = spawnRun(s, ["--logs"]);
  try {
    await until("the step to print its lines", () => (existsSync(marker) ? true : null));
    // Saved while the run goes: the step's file holds its lines before hm is killed.
    const live = await until("the run to be listed as running with its lines saved", async () => {
      // The step's file first, the listing after: each write puts the step files before the
      // outline the listing reads, so a listing read after the file is at least as new.
      const [before] = await listRuns(s);
      if (before === undefined) return null;
      // The step's file appears with its first write (buffered up to 0.2 s).
      const file = join(before.dir, "steps", "slow.log");
      if (!existsSync(file) || !readFileSync(file, "utf8").includes("before kill 300\n")) return null;
      const [listed] = await listRuns(s);
      return listed?.result === "running" ? listed : null;
    });
    expect(live.unfinished_steps).toEqual([{ key: "slow", name: "slow" }]);
    proc.kill("SIGKILL");
    await proc.exited;
    const listed = await until("the build process to be gone", async () => {
      const [it] = await listRuns(s);
      return it?.result === "running" ? null : it;
    });
    expect(listed).toMatchObject({ run_id: live.run_id, result: "interrupted", exit_code: null });
    expect(listed.unfinished_steps.map((step) => step.key)).toEqual(["slow"]);
    const table = await hm(s, ["runs"]);
    expect(table.stdout).toContain(`interrupted (in ${live.unfinished_steps[0]?.name})`);
    expect(table.stdout).not.toContain("passed");
    const logs = await hm(s, ["logs", live.run_id.slice(0, 6), "slow"]);
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toBe(`${seq(1, 300, "before kill").join("\n")}\n`);
    expect(logs.stderr).toContain("ended without a verdict (hm was killed or crashed)");
    expect((await hm(s, ["logs", live.run_id, "early"])).stdout).toBe("done early\n");
    // Following a run that is over returns at once.
    const followed = await hm(s, ["logs", "-f"]);
    expect(followed.exitCode).toBe(0);
    expect(followed.stdout).toContain("[slow] before kill 300");
  } finally {
    proc.kill("SIGKILL");
    await hm(s, ["gc"]); // the step's sleep
  }
}, 60_000);

describe("retention", () => {
  test("keeps the newest HM_HISTORY_RUNS runs; a byte limit keeps only the run that just ended", async () => {
    const s = setup([{ key: "a", cmd: "seq 1000" }], { HM_HISTORY_RUNS: "2" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await run(s, ["--format", "json"]);
      expect(r.exitCode).toBe(0);
      const start = parseEventStream(r.stdout)[0];
      ids.push(start?.kind === "build_start" ? start.run_id : "");
    }
    expect((await listRuns(s)).map((r) => r.run_id)).toEqual(ids.slice(1).reverse());
    const r = await run(s, ["--format", "json"], { HM_HISTORY_BYTES: "1K" });
    const start = parseEventStream(r.stdout)[0];
    expect((await listRuns(s)).map((l) => l.run_id)).toEqual([
      start?.kind === "build_start" ? start.run_id : "",
    ]);
    // Pruned runs leave no directory behind.
    expect(readdirSync(join(s.env.HM_STATE_DIR as string, "history"))).toHaveLength(1);
    const projectDir = join(
      s.env.HM_STATE_DIR as string,
      "history",
      readdirSync(join(s.env.HM_STATE_DIR as string, "history"))[0] as string,
    );
    expect(readdirSync(projectDir)).toHaveLength(1);
  }, 60_000);

  test("never removes a run that is still going; two runs of the project at once keep their own records", async () => {
    const release = join(scratch.path, crypto.randomUUID());
    const s = setup([
      {
        key: "wait",
        cmd: `echo "run $HM_WHICH"; seq 2000 | sed "s/^/$HM_WHICH /"; [ "$HM_WHICH" = quick ] || while [ ! -e ${release} ]; do sleep 0.05; done; echo "end $HM_WHICH"`,
      },
    ]);
    const first = spawnRun(s, ["--logs", "-e", "HM_WHICH=first"]);
    const second = spawnRun(s, ["--logs", "-e", "HM_WHICH=second"]);
    try {
      const live = await until("both runs to be listed as running", async () => {
        const listed = await listRuns(s);
        return listed.length === 2 && listed.every((r) => r.result === "running") ? listed : null;
      });
      // With room for one run, a run that ends now removes neither of the two still going.
      const quick = await run(s, ["--logs", "-e", "HM_WHICH=quick"], { HM_HISTORY_RUNS: "1" });
      expect(quick.exitCode).toBe(0);
      const during = await listRuns(s);
      expect(during.map((r) => r.result).sort()).toEqual(["passed", "running", "running"]);
      expect(
        during
          .filter((r) => r.result === "running")
          .map((r) => r.run_id)
          .sort(),
      ).toEqual(live.map((r) => r.run_id).sort());
      writeFileSync(release, "");
      expect(await first.exited).toBe(0);
      expect(await second.exited).toBe(0);
      const after = await listRuns(s);
      expect(after.map((r) => r.result)).toEqual(["passed", "passed", "passed"]);
      for (const listed of after) {
        const logs = await hm(s, ["logs", listed.run_id, "wait"]);
        const which = logs.stdout.split("\n")[0]?.slice("run ".length) ?? "";
        expect(["first", "second", "quick"]).toContain(which);
        expect(logs.stdout).toBe(`${[`run ${which}`, ...seq(1, 2000, which), `end ${which}`].join("\n")}\n`);
      }
    } finally {
      writeFileSync(release, "");
      first.kill("SIGKILL");
      second.kill("SIGKILL");
    }
  }, 60_000);
});

/** A process's stdout, read as it comes. */
function collect(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  })();
  return { text: () => text, done };
}

function spawnHm(s: Setup, args: string[]) {
  return Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), ...args], {
    cwd: s.root,
    env: { ...baseEnv(), ...s.env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

test("hm logs -f prints a running run's lines as they come and returns when it ends", async () => {
  const release = join(scratch.path, crypto.randomUUID());
  const s = setup([
    {
      key: "talk",
      label: "talk",
      cmd: `echo first; while [ ! -e ${release} ]; do sleep 0.05; done; echo second`,
    },
  ]);
  const build = spawnRun(s, ["--logs"]);
  const followers: ReturnType<typeof spawnHm>[] = [];
  try {
    await until("the run to be listed as running", async () =>
      (await listRuns(s))[0]?.result === "running" ? true : null,
    );
    followers.push(
      spawnHm(s, ["logs", "-f"]),
      spawnHm(s, ["logs", "-f", "talk"]),
      spawnHm(s, ["logs", "-f", "--format", "json"]),
    );
    const [all, step, json] = followers.map((f) => collect(f.stdout));
    if (all === undefined || step === undefined || json === undefined) throw new Error("three followers");
    await until("the followers to print the first line", () =>
      all.text().includes("[talk] first\n") &&
      step.text() === "first\n" &&
      json.text().includes('"line":"first"')
        ? true
        : null,
    );
    // The run is waiting: the followers are too, and have printed nothing of what has not happened.
    expect(followers.map((f) => f.exitCode)).toEqual([null, null, null]);
    expect(all.text()).not.toContain("second");
    writeFileSync(release, "");
    expect(await build.exited).toBe(0);
    expect(await Promise.all(followers.map((f) => f.exited))).toEqual([0, 0, 0]);
    await Promise.all([all.done, step.done, json.done]);
    expect(step.text()).toBe("first\nsecond\n");
    expect(all.text()).toContain("[talk] first\n[talk] second\n");
    expect(all.text().trimEnd()).toMatch(/✓ Build succeeded in \S+$/);
    const events = parseEventStream(json.text());
    expect(events.at(-1)).toMatchObject({ kind: "build_end", exit_code: 0 });
    expect(json.text()).toBe((await hm(s, ["logs", "--format", "json"])).stdout);
  } finally {
    writeFileSync(release, "");
    build.kill("SIGKILL");
    for (const f of followers) f.kill("SIGKILL");
  }
}, 60_000);

describe("naming what does not exist", () => {
  const s = setup([{ key: "only", label: "the only step", cmd: "echo hi" }]);

  test("no saved run: exit 2, saying whose runs were looked for", async () => {
    const r = await hm(s, ["logs"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`✘ no saved runs of the project ${s.root}`);
    expect(r.stdout).toBe("");
    const listed = await hm(s, ["runs"]);
    expect(listed).toMatchObject({ exitCode: 0, stdout: "" });
    expect(await listRuns(s)).toEqual([]);
  });

  test("an unknown run or step: exit 2, listing the runs or steps there are", async () => {
    expect((await run(s)).exitCode).toBe(0);
    const [saved] = await listRuns(s);
    const id = saved?.run_id.slice(0, 8) ?? "";
    const noRun = await hm(s, ["logs", "ffffffff", "only"]);
    expect(noRun.exitCode).toBe(2);
    expect(noRun.stderr).toContain(`✘ no saved run 'ffffffff'; this project's latest: ${id} (ci, passed, `);
    const noStep = await hm(s, ["logs", id, "nope"]);
    expect(noStep.exitCode).toBe(2);
    expect(noStep.stderr).toContain(`✘ run ${id} has no step 'nope'; its steps: the only step`);
    const neither = await hm(s, ["logs", "nope"]);
    expect(neither.exitCode).toBe(2);
    expect(neither.stderr).toContain(
      `✘ 'nope' is neither a saved run id nor a step of the latest run ${id} (its steps: the only step)`,
    );
    // The run is found from any directory, by the id the summary prints.
    const elsewhere = await runHm(["logs", id, "only"], { cwd: scratch.path, env: s.env });
    expect(elsewhere).toMatchObject({ exitCode: 0, stdout: "hi\n" });
  });
});

test("HM_HISTORY_RUNS=0 saves nothing and the summary names no saved log; a malformed limit stops the run (exit 2)", async () => {
  const s = setup([{ key: "fails", cmd: "echo no; exit 1" }], { HM_HISTORY_RUNS: "0" });
  const r = await run(s, ["--logs"]);
  expect(r.exitCode).toBe(1);
  expect(r.stdout).toContain("--- echo no; exit 1 failed (exit 1) ---");
  expect(r.stdout).not.toContain("full log:");
  expect(existsSync(join(s.env.HM_STATE_DIR as string, "history"))).toBe(false);
  const bad = await run(s, ["--logs"], { HM_HISTORY_RUNS: "", HM_HISTORY_BYTES: "lots" });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain(
    "✘ HM_HISTORY_BYTES='lots': expected a size in bytes, e.g. 200M, 1G or 1048576",
  );
  expect(bad.stderr).not.toContain("build:");
});

test("from the compiled binary: the command the summary prints shows the whole log", async () => {
  buildBinaryOnce();
  const s = setup([{ key: "noisy", cmd: "seq 3000; exit 5" }]);
  const r = await runHm(["run", "--runner", "shell", "--logs"], { binary: true, cwd: s.root, env: s.env });
  expect(r.exitCode).toBe(1);
  const command = /full log: (hm logs \S+ .+)$/m.exec(r.stdout)?.[1] ?? "";
  expect(command).toMatch(/^hm logs [0-9a-f]{8} 'seq 3000; exit 5'$/);
  // Run as the user would paste it, through a shell, with `hm` on the PATH.
  const pasted = Bun.spawnSync(["sh", "-c", command], {
    cwd: scratch.path,
    env: { ...baseEnv(), ...s.env, PATH: `${join(REPO_ROOT, "dist")}:${process.env.PATH}` },
  });
  expect(pasted.exitCode).toBe(0);
  expect(pasted.stdout.toString()).toBe(`${Array.from({ length: 3000 }, (_, i) => i + 1).join("\n")}\n`);
  const listed = await runHm(["runs", "--format", "json"], { binary: true, cwd: s.root, env: s.env });
  expect(JSON.parse(listed.stdout)).toMatchObject([{ result: "failed", failed_steps: [{ key: "noisy" }] }]);
}, 180_000);

test("one word names a run of this project, else a step of its latest run, and only then a run elsewhere", async () => {
  const other = setup([{ key: "x", cmd: "echo other project" }]);
  expect((await run(other)).exitCode).toBe(0);
  const otherId = (await listRuns(other))[0]?.run_id ?? "";
  // A step whose name is the start of the other project's run id.
  const s = setup([{ key: "k", label: otherId.slice(0, 6), cmd: "echo this step" }]);
  s.env.HM_STATE_DIR = other.env.HM_STATE_DIR as string;
  expect((await run(s)).exitCode).toBe(0);
  expect((await hm(s, ["logs", otherId.slice(0, 6)])).stdout).toBe("this step\n");
  // A longer start of the other run's id is no step here: that run, found in its project.
  const elsewhere = await hm(s, ["logs", otherId.slice(0, 8)]);
  expect(elsewhere.exitCode).toBe(0);
  expect(elsewhere.stdout).toContain("[echo other project] other project");
});

test("a word that starts a run's id and names a step of the latest run is neither guessed; under 4 characters it is never a run", async () => {
  const first = setup([{ key: "k", cmd: "echo first run" }]);
  expect((await run(first)).exitCode).toBe(0);
  const firstId = (await listRuns(first))[0]?.run_id ?? "";
  // The same project, now with steps named by the start of its first run's id.
  const s = { ...first };
  writeFileSync(
    join(s.root, ".hm", "ci.ir.json"),
    irJson([
      { key: "six", label: firstId.slice(0, 6), cmd: "echo six" },
      { key: "three", label: firstId.slice(0, 3), cmd: "echo three" },
    ]),
  );
  expect((await run(s)).exitCode).toBe(0);
  const latestId = (await listRuns(s))[0]?.run_id ?? "";
  const both = await hm(s, ["logs", firstId.slice(0, 6)]);
  expect(both.exitCode).toBe(2);
  expect(both.stdout).toBe("");
  expect(both.stderr).toContain(
    `'${firstId.slice(0, 6)}' is both the start of run ${firstId.slice(0, 8)}'s id and a step of the latest run ${latestId.slice(0, 8)}`,
  );
  // Each of the two commands the hint names prints what it says.
  expect(both.stderr).toContain(`hm logs ${firstId.slice(0, 8)} prints that run`);
  expect((await hm(s, ["logs", firstId.slice(0, 8)])).stdout).toContain("[echo first run] first run");
  expect((await hm(s, ["logs", latestId.slice(0, 8), firstId.slice(0, 6)])).stdout).toBe("six\n");
  // Three characters are a step's name, never a run's id.
  expect((await hm(s, ["logs", firstId.slice(0, 3)])).stdout).toBe("three\n");
  const short = await hm(s, ["logs", firstId.slice(0, 3), "k"]);
  expect(short.exitCode).toBe(2);
  expect(short.stderr).toContain(
    `'${firstId.slice(0, 3)}' is too short to name a run: give at least 4 characters of its id`,
  );
});
