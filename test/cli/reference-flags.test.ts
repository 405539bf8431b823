/**
 * The reference hm's `hm run` flags and hidden globals (README, "Coming from
 * the reference hm"): -b/-m recorded in build_start, -e KEY passing the
 * host's value, --backend docker accepted, the Harmont Cloud flags answered
 * with exit 3 before anything runs, --api-url and --debug-trace accepted.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-reference-flags-");
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
  scratch.cleanup();
});

/** A project whose one step prints FOO and leaves a marker file outside the workspace when it runs. */
function project() {
  const marker = join(scratch.path, `ran-${crypto.randomUUID()}`);
  const p = makeProject({
    ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";
export default { slug: "ci", pipeline: pipeline([sh('echo "FOO=[$FOO]"; touch ${marker}', { label: "a" })]) };
`,
  });
  cleanups.push(p.cleanup);
  return { root: p.root, marker };
}

async function run(root: string, args: string[], env: Record<string, string> = {}) {
  const dirs = runDirs(scratch.path);
  return runHm(["run", "-d", root, "--runner", "shell", ...args], {
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, ...env },
  });
}

function buildStart(stdout: string) {
  const start = parseEventStream(stdout).find((e) => e.kind === "build_start");
  if (start?.kind !== "build_start") throw new Error("no build_start");
  return start;
}

function git(cwd: string, ...args: string[]): string {
  const r = Bun.spawnSync(["git", ...args], {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t",
    },
  });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

test("-b and -m are recorded in build_start; without -b the checkout's branch and commit are", async () => {
  const p = project();
  git(p.root, "init", "-q", "-b", "topic");
  git(p.root, "add", ".");
  git(p.root, "commit", "-q", "-m", "init");
  const commit = git(p.root, "rev-parse", "HEAD");

  const given = await run(p.root, ["--format", "json", "-b", "release/1.2", "--message", "ship it"]);
  expect(given.exitCode).toBe(0);
  expect(buildStart(given.stdout).source).toEqual({ branch: "release/1.2", commit, message: "ship it" });

  const defaults = await run(p.root, ["--format", "json"]);
  expect(defaults.exitCode).toBe(0);
  expect(buildStart(defaults.stdout).source).toEqual({ branch: "topic", commit, message: null });

  // Long spellings, and outside git: the branch is HEAD and there is no commit.
  const plain = project();
  const outside = await run(plain.root, ["--format", "json", "--branch", "main", "-m", "x"]);
  expect(outside.exitCode).toBe(0);
  expect(buildStart(outside.stdout).source).toEqual({ branch: "main", commit: null, message: "x" });
  // Steps get no variables from them, as with the reference.
  expect(stepLines(parseEventStream(outside.stdout), "a")).toEqual(["FOO=[]"]);
}, 60_000);

test("-e KEY passes this shell's value of KEY; an unset KEY stops the run before anything runs (exit 2)", async () => {
  const p = project();
  const passed = await run(p.root, ["--format", "json", "-e", "FOO"], { FOO: "from host" });
  expect(passed.exitCode).toBe(0);
  expect(stepLines(parseEventStream(passed.stdout), "a")).toEqual(["FOO=[from host]"]);

  const longForm = await run(p.root, ["--format", "json", "--env=FOO"], { FOO: "long" });
  expect(stepLines(parseEventStream(longForm.stdout), "a")).toEqual(["FOO=[long]"]);

  const fresh = project();
  const missing = await run(fresh.root, ["-e", "HM_TEST_SURELY_UNSET"]);
  expect(missing.exitCode).toBe(2);
  expect(missing.stderr).toContain(
    "-e HM_TEST_SURELY_UNSET: HM_TEST_SURELY_UNSET is not set in this environment",
  );
  expect(existsSync(fresh.marker)).toBe(false);
}, 60_000);

test("--backend docker runs here; an unknown --backend is a usage error naming the choices", async () => {
  const p = project();
  const docker = await run(p.root, ["--logs", "--backend", "docker"]);
  expect(docker.exitCode).toBe(0);
  expect(existsSync(p.marker)).toBe(true);

  const other = await run(p.root, ["--backend", "vm"]);
  expect(other.exitCode).toBe(2);
  expect(other.stderr).toContain("unknown --backend 'vm'");
  expect(other.stderr).toContain("available: docker, cloud");
}, 60_000);

for (const [flags, says] of [
  [["--backend", "cloud"], "--backend cloud: hm runs pipelines on this machine only"],
  [["--cloud"], "--cloud: hm runs pipelines on this machine only"],
  [["--org", "acme"], "--org 'acme' names a Harmont Cloud organisation"],
  [["--no-watch"], "--no-watch skips watching a Harmont Cloud build"],
] as const) {
  test(`${flags.join(" ")} says Harmont Cloud is missing (exit 3) and runs nothing`, async () => {
    const p = project();
    const r = await run(p.root, ["--logs", ...flags]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(says);
    expect(r.stderr).not.toContain("unknown option");
    expect(existsSync(p.marker)).toBe(false);
  }, 60_000);
}

test("hidden --api-url URL and --debug-trace PATH are accepted before or after the command", async () => {
  const p = project();
  const before = await runHm(["--api-url", "https://api.example.test", "render", "-d", p.root]);
  expect(before.exitCode).toBe(0);
  expect(JSON.parse(before.stdout).graph.nodes).toHaveLength(1);

  const trace = join(scratch.path, `trace-${crypto.randomUUID()}.json`);
  const after = await runHm(["render", "-d", p.root, `--debug-trace=${trace}`, "--api-url=https://x.test"]);
  expect(after.exitCode).toBe(0);
  expect(after.stderr).toBe("");
  // The trace is written (its contents: test/trace/debug-trace.test.ts), nothing is left beside it.
  const events = JSON.parse(readFileSync(trace, "utf8")).traceEvents as { name: string }[];
  expect(events.map((e) => e.name)).toContain("hm render");
  expect(readdirSync(dirname(trace)).filter((f) => f.startsWith(basename(trace)))).toEqual([basename(trace)]);

  const noValue = await runHm(["render", "-d", p.root, "--api-url"]);
  expect(noValue.exitCode).toBe(2);
  expect(noValue.stderr).toContain("option '--api-url' needs a value");

  // Every layer is checked, also one a flag overrides: an empty api_url in a file is refused.
  writeFileSync(join(p.root, ".hm", "config.toml"), '[cloud]\napi_url = ""\n');
  const emptyInFile = await runHm(["render", "-d", p.root]);
  expect(emptyInFile.exitCode).toBe(2);
  expect(emptyInFile.stderr).toContain("'cloud.api_url' must be a URL");
  const overridden = await runHm(["render", "-d", p.root, "--api-url", "https://x.test"]);
  expect(overridden.exitCode).toBe(2);
}, 60_000);

test("hm version keeps its three lines", async () => {
  const r = await runHm(["version"]);
  expect(r.exitCode).toBe(0);
  expect(r.stdout.trimEnd().split("\n")).toHaveLength(3);
}, 60_000);
