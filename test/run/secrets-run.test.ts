/**
 * `hm run --secret` / `--secret-file` with the shell runner (a plugin
 * runner): the values reach the steps, and hm shows and keeps them only as
 * `***` (docs/design.md, "Secrets").
 */
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinaryOnce } from "../helpers/build-binary.ts";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { REPO_ROOT, runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { compilePlugin, fixturePath } from "../helpers/native.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-secrets-run-");
const projects: { cleanup: () => void }[] = [];
afterAll(() => {
  for (const project of projects) project.cleanup();
  scratch.cleanup();
});

const TOKEN = "tok-4f9a1c77e2";
const KEY_LINE_1 = "MIIEvQIBADANBgkqhkiG9w0BAQEF";
const KEY_LINE_2 = "AASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";

/** Every file under `dir`, read as text (the state directory: KV database, run records, saved logs). */
function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push({ path, text: readFileSync(path).toString("latin1") });
    }
  };
  walk(dir);
  return out;
}

function project(files: Record<string, string>) {
  const made = makeProject(files);
  projects.push(made);
  return made;
}

/** The step checks it got the real values, then prints them in every way a log might. */
const LEAKY_STEP = [
  `test "$TOKEN" = "${TOKEN}" && test "$KEY" = "$(printf '${KEY_LINE_1}\\n${KEY_LINE_2}')" && echo values-match`,
  'echo "token=$TOKEN"',
  // One line written in two pieces, so hm reads it in two chunks.
  `printf 'split=${TOKEN.slice(0, 6)}'; sleep 0.2; printf '${TOKEN.slice(6)}-end\\n'`,
  'printf "%s" "user:$TOKEN" | base64',
  'echo "$KEY"',
  'echo "to stderr $TOKEN" >&2',
].join("\n");

test("the values reach the step; its log, the JSON events, the plain output and the state directory show only ***", async () => {
  const made = project({
    ".hm/ci.ir.json": irJson([
      // The pipeline's own TOKEN gives way to the secret; a label holding the value is masked too.
      {
        key: "leak",
        label: `deploy ${TOKEN}`,
        cmd: `${LEAKY_STEP}\nexit 3`,
        env: { TOKEN: "from-pipeline" },
      },
    ]),
  });
  const secretFile = join(scratch.path, "secrets.env");
  writeFileSync(secretFile, `# key\nKEY="${KEY_LINE_1}\\n${KEY_LINE_2}"\n`);
  const dirs = runDirs(scratch.path);
  const env = { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, TOKEN };
  const args = ["run", "--runner", "shell", "--secret", "TOKEN", "--secret-file", secretFile];

  const json = await runHm([...args, "--format", "json"], { cwd: made.root, env });
  expect(json.exitCode).toBe(1);
  const events = parseEventStream(json.stdout);
  const base64 = Buffer.from(`user:${TOKEN}`).toString("base64");
  expect(stepLines(events, "leak", "stdout")).toEqual([
    "values-match",
    "token=***",
    "split=***-end",
    // What is left of the base64 line depends on "user:" too.
    expect.stringMatching(/^[A-Za-z0-9+/]{1,8}\*\*\*[A-Za-z0-9+/=]{0,4}$/),
    "***",
    "***",
  ]);
  expect(stepLines(events, "leak", "stderr")).toEqual(["to stderr ***"]);
  const queued = events.find((e) => e.kind === "step_queued");
  expect(queued?.kind === "step_queued" && queued.display_name).toBe("deploy ***");

  const plain = await runHm([...args, "--logs"], { cwd: made.root, env });
  expect(plain.exitCode).toBe(1);
  expect(plain.stdout).toContain("[deploy ***] token=***");
  expect(plain.stdout).toContain("--- deploy *** failed (exit 3) ---");

  for (const output of [json.stdout, json.stderr, plain.stdout, plain.stderr]) {
    for (const value of [TOKEN, KEY_LINE_1, KEY_LINE_2, base64.slice(8, -4)])
      expect(output).not.toContain(value);
  }
  // The saved run logs are there (hm logs prints them) and masked like the rest.
  const saved = filesUnder(dirs.state).filter((file) => file.path.includes("/history/"));
  expect(saved.some((file) => file.text.includes("token=***"))).toBe(true);
  for (const file of filesUnder(dirs.state))
    expect({ file: file.path, leaks: file.text.includes(TOKEN) }).toEqual({
      file: file.path,
      leaks: false,
    });
}, 120_000);

/** A pipeline that puts what it sees of TOKEN, at evaluation, into its step's env as SEEN. */
const PEEKING_PIPELINES = [
  {
    language: "TypeScript",
    file: ".hm/ci.ts",
    text: [
      'import { pipeline, sh } from "@harmont/hm";',
      "const seen = String(process.env.TOKEN);",
      'export default { slug: "ci", pipeline: pipeline([sh("echo seen=$SEEN; echo got=$TOKEN", { env: { SEEN: seen } })]) };',
    ],
    unset: "undefined",
  },
  {
    language: "Python",
    file: ".hm/ci.py",
    text: [
      "import os",
      "import harmont as hm",
      '@hm.pipeline("ci")',
      "def ci():",
      '    return hm.sh("echo seen=$SEEN; echo got=$TOKEN", env={"SEEN": str(os.environ.get("TOKEN"))})',
    ],
    unset: "None",
  },
];

test.each(PEEKING_PIPELINES)(
  "$language pipeline files are evaluated without the secrets: a pipeline cannot copy one into its IR",
  async ({ file, text, unset }) => {
    const made = project({ [file]: `${text.join("\n")}\n` });
    const dirs = runDirs(scratch.path);
    const r = await runHm(["run", "--runner", "shell", "--format", "json", "--secret", "TOKEN"], {
      cwd: made.root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, TOKEN },
    });
    expect(r.exitCode).toBe(0);
    const [key] = parseEventStream(r.stdout).flatMap((e) => (e.kind === "step_queued" ? [e.key] : []));
    expect(stepLines(parseEventStream(r.stdout), key as string)).toEqual([`seen=${unset}`, "got=***"]);
  },
  120_000,
);

test("a missing secret, a bad secrets-file line, a too-short value or a name also given with -e stop hm before anything runs (exit 2)", async () => {
  const made = project({ ".hm/ci.ir.json": irJson([{ key: "a", cmd: "touch ran" }]) });
  const bad = join(scratch.path, "bad.env");
  writeFileSync(bad, "OK=value-ok\n\nnot-a-pair\n");
  const cases: [string[], Record<string, string>, string][] = [
    [["--secret", "NOPE"], {}, "--secret NOPE: NOPE is not set in hm's environment"],
    [["--secret-file", bad], {}, `${bad}:3: expected NAME=value`],
    [["--secret", "PIN"], { PIN: "12" }, "--secret PIN: the value is 2 characters long, too short to mask"],
    [["--secret", "TOKEN", "-e", "TOKEN=x"], { TOKEN }, "TOKEN is given both with -e and as a secret"],
  ];
  for (const [flags, env, message] of cases) {
    const dirs = runDirs(scratch.path);
    const r = await runHm(["run", "--runner", "shell", ...flags], {
      cwd: made.root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, ...env },
    });
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({
      exitCode: 2,
      stderr: expect.stringContaining(message),
    });
    expect(readdirSync(dirs.tmp)).toEqual([]);
  }
  expect(readdirSync(made.root)).not.toContain("ran");
}, 120_000);

/** A hook that appends each step_log line it receives to $HOOK_OUT: what any subscriber of the events sees. */
const LINE_RECORDER = `#define _POSIX_C_SOURCE 200809L
#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
#include <stdio.h>
#include <stdlib.h>
static int on_event(hm_ctx *ctx, const hm_hook_event *in, hm_hook_outcome *out) {
  FILE *f = fopen(getenv("HOOK_OUT"), "a");
  (void)ctx; (void)out;
  if (f == NULL) return 0;
  fprintf(f, HM_STR_FMT "\\n", HM_STR_ARG(in->event.as.step_log.line));
  fclose(f);
  return 1;
}
static const hm_hook_kind kinds[] = {HM_HOOK_STEP_LOG};
static const hm_capability caps[] = {{.kind = HM_CAP_LIFECYCLE_HOOK, .as.lifecycle_hook = {
  .events = kinds, .event_count = 1, .phase = HM_HOOK_AFTER, .timeout_ms = 5000}}};
static const hm_manifest manifest = {.name = "line-recorder", .version = "0.1.0", .description = "test hook",
  .capabilities = caps, .capability_count = 1};
static const hm_plugin_def plugin = {.manifest = &manifest, .on_hook_event = on_event};
HM_PLUGIN(plugin);
`;

test("hook plugins get masked events; a plugin runner's raw text and its error messages are masked", async () => {
  const plugins = join(scratch.path, `plugins-${crypto.randomUUID()}`);
  compilePlugin(plugins, "line-recorder", LINE_RECORDER);
  copyFileSync(fixturePath("noop-executor"), join(plugins, "noop-executor.so"));
  copyFileSync(join(REPO_ROOT, "build", "plugins", "shell.so"), join(plugins, "shell.so"));
  const made = project({
    ".hm/ci.ir.json": irJson(
      [
        { key: "say", runner: "shell", cmd: 'echo "said $TOKEN"' },
        // The noop runner writes NOOP_WRITE as raw text; a NOOP_EXIT that is not a number fails it, quoting it.
        // It waits for `say`, so a failing run still logs (and records) `say`'s line first.
        { key: "write", runner: "noop" },
      ],
      [["say", "write", "depends_on"]],
    ),
  });
  const hookOut = join(scratch.path, `hook-${crypto.randomUUID()}.txt`);
  const run = (args: string[], env: Record<string, string>) => {
    const dirs = runDirs(scratch.path);
    return runHm(["run", ...args], {
      cwd: made.root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, HM_PLUGIN_PATH: plugins, HOOK_OUT: hookOut, ...env },
    });
  };
  for (const format of [["--format", "json"], ["--logs"]]) {
    const r = await run([...format, "--secret", "TOKEN", "-e", `NOOP_WRITE=raw ${TOKEN} text`], { TOKEN });
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({
      exitCode: 0,
      stderr: expect.stringContaining("raw *** text"),
    });
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  }
  const failed = await run(["--secret", "NOOP_EXIT"], { NOOP_EXIT: `not-a-number-${TOKEN}` });
  expect(failed.exitCode).toBe(6);
  expect(failed.stderr).toContain("NOOP_EXIT must be an integer from -2147483648 to 2147483647, got '***'");
  expect(failed.stdout + failed.stderr).not.toContain(TOKEN);
  // The last run had no TOKEN.
  expect(readFileSync(hookOut, "utf8")).toBe("said ***\nsaid ***\nsaid \n");
}, 120_000);

test("the compiled binary passes and masks secrets the same way", async () => {
  buildBinaryOnce();
  const made = project({
    ".hm/ci.ir.json": irJson([{ key: "a", cmd: `test "$TOKEN" = "${TOKEN}" && echo "ok $TOKEN"` }]),
  });
  const dirs = runDirs(scratch.path);
  const r = await runHm(["run", "--runner", "shell", "--format", "json", "--secret", "TOKEN"], {
    binary: true,
    cwd: made.root,
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, TOKEN },
  });
  expect(r.exitCode).toBe(0);
  expect(stepLines(parseEventStream(r.stdout), "a")).toEqual(["ok ***"]);
  expect(r.stdout + r.stderr).not.toContain(TOKEN);
}, 300_000);

test("a secrets file the working tree would carry into the steps is refused; a gitignored one is used", async () => {
  const made = project({
    ".hm/ci.ir.json": irJson([{ key: "a", cmd: 'echo "key $API_KEY"; ls' }]),
    ".gitignore": "*.secret\n",
    "ci.env": `API_KEY=${TOKEN}\n`,
    "ci.secret": `API_KEY=${TOKEN}\n`,
  });
  const run = async (file: string) => {
    const dirs = runDirs(scratch.path);
    const r = await runHm(["run", "--runner", "shell", "--format", "json", "--secret-file", file], {
      cwd: made.root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
    });
    return { ...r, dirs };
  };
  const refused = await run("ci.env");
  expect({ exitCode: refused.exitCode, stderr: refused.stderr }).toEqual({
    exitCode: 2,
    stderr: expect.stringContaining(
      `--secret-file ${join(made.root, "ci.env")} is part of the working tree hm packs for the steps`,
    ),
  });
  expect(refused.stdout).toBe("");
  expect(readdirSync(refused.dirs.tmp)).toEqual([]);
  expect(readdirSync(join(refused.dirs.state, "runs"))).toEqual([]);

  const used = await run("ci.secret");
  expect(used.exitCode).toBe(0);
  const [key] = parseEventStream(used.stdout).flatMap((e) => (e.kind === "step_queued" ? [e.key] : []));
  expect(stepLines(parseEventStream(used.stdout), key as string)).toEqual(["key ***", "ci.env"]);
}, 120_000);
