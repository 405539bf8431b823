/**
 * The layered configuration (README, "Configuration"): user file, project
 * file, HM_* variables, then flags, each layer winning over the one before;
 * unknown keys warn naming file, line and key; bad TOML and bad values stop
 * the command naming the file and line; `backend = "cloud"` stops `hm run`
 * (exit 3). Every case runs hm itself.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_KEYS } from "../../src/cli/config/keys.ts";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-config-");
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
  scratch.cleanup();
});

const ECHO_PIPELINE = `import { pipeline, sh } from "@harmont/hm";
export default { slug: "ci", pipeline: pipeline([sh("echo ran", { label: "a" })]) };
`;

/** A project with `.hm/ci.ts`, its `.hm/config.toml` when given, and a user config dir of its own. */
function project(projectConfig?: string, userConfig?: string, pipeline = ECHO_PIPELINE) {
  const files: Record<string, string> = { ".hm/ci.ts": pipeline };
  if (projectConfig !== undefined) files[".hm/config.toml"] = projectConfig;
  const p = makeProject(files);
  cleanups.push(p.cleanup);
  const xdg = join(scratch.path, crypto.randomUUID());
  if (userConfig !== undefined) {
    mkdirSync(join(xdg, "hm"), { recursive: true });
    writeFileSync(join(xdg, "hm", "config.toml"), userConfig);
  }
  return { root: p.root, userFile: join(xdg, "hm", "config.toml"), xdg };
}

async function run(p: { root: string; xdg: string }, args: string[], env: Record<string, string> = {}) {
  const dirs = runDirs(scratch.path);
  const result = await runHm(["run", "-d", p.root, ...args], {
    env: { XDG_CONFIG_HOME: p.xdg, HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, ...env },
  });
  return { ...result, dirs };
}

/** The runner each step started on, from `--format json`. */
function runners(stdout: string): string[] {
  return parseEventStream(stdout).flatMap((e) => (e.kind === "step_start" ? [e.runner] : []));
}

test("[run] runner in the user config is the default runner", async () => {
  const p = project(undefined, '[run]\nrunner = "shell"\n');
  const r = await run(p, ["--format", "json"]);
  expect(r.exitCode).toBe(0);
  expect(runners(r.stdout)).toEqual(["shell"]);
  expect(stepLines(parseEventStream(r.stdout), "a")).toEqual(["ran"]);
}, 60_000);

test("without XDG_CONFIG_HOME the user config is ~/.config/hm/config.toml", async () => {
  const p = project();
  const home = join(scratch.path, crypto.randomUUID());
  mkdirSync(join(home, ".config", "hm"), { recursive: true });
  writeFileSync(join(home, ".config", "hm", "config.toml"), '[run]\nrunner = "shell"\n');
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "-d", p.root, "--format", "json"], {
    env: { HOME: home, HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  expect(r.exitCode).toBe(0);
  expect(runners(r.stdout)).toEqual(["shell"]);
}, 60_000);

test("the project file wins over the user file, HM_* over both, and a flag over everything", async () => {
  const p = project('[run]\nrunner = "shell"\n', '[run]\nrunner = "from-user"\n');
  const projectWins = await run(p, ["--format", "json"]);
  expect(projectWins.exitCode).toBe(0);
  expect(runners(projectWins.stdout)).toEqual(["shell"]);

  const envWins = await run(p, ["--format", "json"], { HM_RUN__RUNNER: "from-env" });
  expect(envWins.exitCode).toBe(7);
  expect(envWins.stderr).toContain("runner 'from-env' (set in HM_RUN__RUNNER), but no plugin provides it");

  const fileNamed = await run(project('[run]\nrunner = "nosuch"\n'), []);
  expect(fileNamed.exitCode).toBe(7);
  expect(fileNamed.stderr).toContain("runner 'nosuch' (set in ");
  expect(fileNamed.stderr).toContain(".hm/config.toml:2), but no plugin provides it");

  const flagWins = await run(p, ["--format", "json", "--runner", "shell"], { HM_RUN__RUNNER: "from-env" });
  expect(flagWins.exitCode).toBe(0);
  expect(runners(flagWins.stdout)).toEqual(["shell"]);
}, 60_000);

test('[preferences] format = "json" makes hm run print JSON lines; --format human wins over it', async () => {
  const p = project('[preferences]\nformat = "json"\n\n[run]\nrunner = "shell"\n');
  const json = await run(p, []);
  expect(json.exitCode).toBe(0);
  expect(parseEventStream(json.stdout).map((e) => e.kind)).toContain("build_end");

  const human = await run(p, ["--format", "human"]);
  expect(human.exitCode).toBe(0);
  // Human lines go to stdout too (README, "Output"): no JSON event among them.
  expect(human.stdout).toContain("[a] ran");
  expect(human.stdout).not.toContain('"kind"');
}, 60_000);

test("[run] parallelism = 1 runs independent steps one at a time", async () => {
  // Each step holds a lock directory while it runs: two at once make one fail.
  const lock = join(scratch.path, `lock-${crypto.randomUUID()}`);
  const step = (label: string) =>
    `sh("mkdir ${lock} || { echo overlap; exit 1; }; sleep 1; rmdir ${lock}", { label: "${label}" })`;
  const pipeline = `import { pipeline, sh } from "@harmont/hm";
export default { slug: "ci", pipeline: pipeline([${step("a")}, ${step("b")}]) };
`;
  const p = project('[run]\nrunner = "shell"\nparallelism = 1\n', undefined, pipeline);
  const one = await run(p, ["--logs"]);
  expect(one.stdout).not.toContain("overlap");
  expect(one.exitCode).toBe(0);

  // The flag wins: two at once overlap.
  const two = await run(p, ["--logs", "--parallelism", "2"]);
  expect(two.exitCode).toBe(1);
  expect(two.stdout).toContain("overlap");
}, 60_000);

test("an unknown key warns naming the file, line and key, with the nearest known key; the run goes on", async () => {
  const p = project('[run]\nrunner = "shell"\n\n[preferences]\nfromat = "json"\n');
  const r = await run(p, ["--logs"]);
  expect(r.exitCode).toBe(0);
  expect(r.stderr).toContain(
    `${p.root}/.hm/config.toml:5: unknown key 'preferences.fromat' (did you mean 'preferences.format'?); ignored`,
  );
  const table = await run(project('[colud]\norg = "x"\n'), ["--runner", "shell", "--logs"]);
  expect(table.exitCode).toBe(0);
  expect(table.stderr).toContain(".hm/config.toml:1: unknown key 'colud' (did you mean 'cloud'?); ignored");
}, 60_000);

test("a misspelt HM_<TABLE>__<KEY> variable warns naming it; hm's other HM_* variables do not", async () => {
  const p = project('[run]\nrunner = "shell"\n');
  const r = await run(p, ["--logs"], { HM_RUN__RUNER: "x", HM_SHELL_SIBLINGS: "copy" });
  expect(r.exitCode).toBe(0);
  expect(r.stderr).toContain(
    "HM_RUN__RUNER: unknown key 'run.runer' (did you mean HM_RUN__RUNNER?); ignored",
  );
  expect(r.stderr).not.toContain("HM_SHELL_SIBLINGS");
}, 60_000);

test("a TOML syntax error stops the command naming the file and line (exit 2), and nothing runs", async () => {
  const p = project('[run]\nrunner = "shell"\n\n[cloud\norg = "x"\n');
  const r = await run(p, ["--logs"]);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain(`${p.root}/.hm/config.toml:4: not valid TOML`);
  expect(r.stderr).not.toContain("[a] ran");
  expect(existsSync(join(r.dirs.state, "runs")) ? readdirSync(join(r.dirs.state, "runs")) : []).toEqual([]);

  const user = project(undefined, 'backend = "docker\n');
  const render = await runHm(["render", "-d", user.root], { env: { XDG_CONFIG_HOME: user.xdg } });
  expect(render.exitCode).toBe(2);
  expect(render.stderr).toContain(`${user.userFile}:1: not valid TOML`);
}, 60_000);

test("a value of the wrong type names the file, line, key and what it must be (exit 2)", async () => {
  const p = project('[run]\nrunner = "shell"\nparallelism = "four"\n');
  const r = await run(p, ["--logs"]);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain(
    `${p.root}/.hm/config.toml:3: 'run.parallelism' must be a whole number (0 means 1) (got "four")`,
  );
  expect(r.stderr).not.toContain("[a] ran");

  const env = await run(project(), ["--runner", "shell"], { HM_PREFERENCES__FORMAT: "yaml" });
  expect(env.exitCode).toBe(2);
  expect(env.stderr).toContain(
    `HM_PREFERENCES__FORMAT: 'preferences.format' must be "human" or "json" (got "yaml")`,
  );

  const table = await run(project('run = "shell"\n'), ["--logs"]);
  expect(table.exitCode).toBe(2);
  expect(table.stderr).toContain(".hm/config.toml:1: 'run' must be a table ([run])");
}, 60_000);

test('backend = "cloud" stops hm run with exit 3 naming where it is set; --backend docker runs here', async () => {
  const p = project('backend = "cloud"\n\n[cloud]\norg = "acme"\n');
  const r = await run(p, ["--runner", "shell", "--logs"]);
  expect(r.exitCode).toBe(3);
  expect(r.stderr).toContain(`backend = "cloud" (set in ${p.root}/.hm/config.toml:1)`);
  expect(r.stderr).toContain("no Harmont Cloud client");
  expect(r.stderr).not.toContain("[a] ran");

  const docker = await run(p, ["--runner", "shell", "--logs", "--backend", "docker"]);
  expect(docker.exitCode).toBe(0);
  expect(docker.stdout).toContain("[a] ran");

  // From a variable, named as such; HM_BACKEND=docker over a file's cloud runs here.
  const env = await run(project(), ["--runner", "shell"], { HM_BACKEND: "cloud" });
  expect(env.exitCode).toBe(3);
  expect(env.stderr).toContain('backend = "cloud" (set in HM_BACKEND)');
  const envDocker = await run(p, ["--runner", "shell", "--logs"], { HM_BACKEND: "docker" });
  expect(envDocker.exitCode).toBe(0);
}, 60_000);

test("the reference's keys and variables are accepted without warnings", async () => {
  const p = project(
    'backend = "docker"\n\n[cloud]\norg = "acme"\napi_url = "https://api.example.test"\npipeline = "acme/web"\n\n[preferences]\nformat = "human"\nauto_watch = true\n',
  );
  const r = await run(p, ["--runner", "shell", "--logs"], {
    HM_ORG: "env-org",
    HM_API_URL: "https://env.example.test",
    HM_APP_URL: "https://app.example.test",
    HM_CLOUD__ORG: "nested-org",
  });
  expect(r.exitCode).toBe(0);
  expect(r.stderr).not.toContain("unknown key");
  expect(r.stdout).toContain("[a] ran");

  // They are read and checked, not skipped: a wrong value of one is named.
  const wrong = await run(project('[preferences]\nauto_watch = "yes"\n'), ["--runner", "shell"]);
  expect(wrong.exitCode).toBe(2);
  expect(wrong.stderr).toContain(
    `.hm/config.toml:2: 'preferences.auto_watch' must be true or false (got "yes")`,
  );
}, 60_000);

test("[pipeline] eval_timeout limits each pipeline file; HM_EVAL_TIMEOUT wins over it", async () => {
  const looping = `import { pipeline, sh } from "@harmont/hm";
await new Promise((resolve) => setTimeout(resolve, 4000));
export default { slug: "ci", pipeline: pipeline([sh("true")]) };
`;
  const p = project("[pipeline]\neval_timeout = 1\n", undefined, looping);
  const r = await runHm(["render", "-d", p.root], { env: { XDG_CONFIG_HOME: p.xdg } });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain(".hm/ci.ts: still evaluating after 1 s");

  const env = await runHm(["render", "-d", p.root], {
    env: { XDG_CONFIG_HOME: p.xdg, HM_EVAL_TIMEOUT: "20" },
  });
  expect(env.exitCode).toBe(0);
}, 60_000);

test("[logs] keep_runs bounds the saved runs and 0 keeps none; HM_HISTORY_RUNS wins over it", async () => {
  const p = project('[run]\nrunner = "shell"\n\n[logs]\nkeep_runs = 2\n');
  const dirs = runDirs(scratch.path);
  const env = { XDG_CONFIG_HOME: p.xdg, HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp };
  const runs = async (extra: Record<string, string> = {}) => {
    const r = await runHm(["runs", "-d", p.root, "--format", "json"], { env: { ...env, ...extra } });
    expect(r.exitCode).toBe(0);
    return (JSON.parse(r.stdout) as unknown[]).length;
  };
  for (let i = 0; i < 3; i++) expect((await runHm(["run", "-d", p.root], { env })).exitCode).toBe(0);
  expect(await runs()).toBe(2);
  expect((await runHm(["run", "-d", p.root], { env: { ...env, HM_HISTORY_RUNS: "3" } })).exitCode).toBe(0);
  expect(await runs()).toBe(3);

  const none = project('[run]\nrunner = "shell"\n\n[logs]\nkeep_runs = 0\n');
  const noneEnv = { XDG_CONFIG_HOME: none.xdg, HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp };
  const ran = await runHm(["run", "-d", none.root], { env: noneEnv });
  expect(ran.exitCode).toBe(0);
  expect(ran.stdout).toContain("Build succeeded");
  const listed = await runHm(["runs", "-d", none.root, "--format", "json"], { env: noneEnv });
  expect(JSON.parse(listed.stdout)).toEqual([]);
}, 120_000);

test("the README's Configuration section documents every key", async () => {
  const readme = await Bun.file(join(REPO_ROOT, "README.md")).text();
  const section = readme.split("\n## Configuration\n")[1]?.split("\n## ")[0] ?? "";
  for (const key of Object.keys(CONFIG_KEYS)) expect(section).toContain(`\`${key}\``);
}, 60_000);
