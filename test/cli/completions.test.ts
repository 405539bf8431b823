/**
 * `hm completions`: the scripts, driven the way the shells drive them, and
 * the candidates `hm __complete` gives: built-in commands and flags, pipeline
 * slugs of the project, runners and plugin verbs with their flags.
 */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { REPO_ROOT, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { fixturePath } from "../helpers/native.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-completions-");
afterAll(() => scratch.cleanup());

const project = makeProject({
  ".hm/alpha.ir.json": irJson([{ key: "a" }]),
  ".hm/beta.ir.json": irJson([{ key: "b" }]),
});
afterAll(() => project.cleanup());

const plugins = join(scratch.path, "plugins");
mkdirSync(plugins);
copyFileSync(fixturePath("host-fn-probe"), join(plugins, `host-fn-probe.${LIBRARY_EXTENSION}`));
copyFileSync(fixturePath("noop-executor"), join(plugins, `noop-executor.${LIBRARY_EXTENSION}`));
const env = { HM_PLUGIN_PATH: plugins };

/** `hm` on the PATH the completion scripts call: the sources under Bun. */
const bin = join(scratch.path, "bin");
mkdirSync(bin, { recursive: true });
writeFileSync(
  join(bin, "hm"),
  `#!/bin/sh\nexec "${process.execPath}" "${join(REPO_ROOT, "src", "main.ts")}" "$@"\n`,
);
chmodSync(join(bin, "hm"), 0o755);

async function candidates(...words: string[]): Promise<string[]> {
  const r = await runHm(["__complete", ...words], { cwd: project.root, env });
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split("\t")[0] as string);
}

test("commands, including plugin verbs; flags of a command; values of its options", async () => {
  const top = await candidates("");
  for (const name of ["run", "render", "cache", "completions", "plugin", "fixture-probe"])
    expect(top).toContain(name);
  expect(top).not.toContain("__complete");
  expect(await candidates("r")).toEqual(["render", "run", "runs"]);
  expect(await candidates("run", "--r")).toEqual(["--runner"]);
  expect(await candidates("run", "--runner", "")).toEqual(["docker", "noop", "shell"]);
  expect(await candidates("run", "--format", "")).toEqual(["human", "json"]);
  expect(await candidates("cache", "")).toEqual(["clean", "ls", "restore", "save"]);
  expect(await candidates("run", "-d", "")).toEqual([":dirs"]);
  expect(await candidates("plugin", "install", "")).toEqual([":files"]);
  expect(await candidates("completions", "")).toEqual(["bash", "zsh", "fish"]);
});

test("--opt=value, as bash splits it (`--runner`, `=`, `sh`)", async () => {
  expect(await candidates("run", "--runner", "=")).toEqual(["docker", "noop", "shell"]);
  expect(await candidates("run", "--runner", "=", "sh")).toEqual(["shell"]);
  expect(await candidates("run", "--runner", "=", "shell", "")).toEqual(["alpha", "beta"]);
});

test("bash quotes candidates and never expands them (a slug holding $(…) or a quote)", async () => {
  const marker = join(scratch.path, "EXPANDED");
  const tricky = makeProject({
    ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";
export default [
  { slug: "x$(touch\${IFS}${marker})", pipeline: pipeline([sh("true", { label: "a" })]) },
  { slug: "it's", pipeline: pipeline([sh("true", { label: "b" })]) },
];
`,
  });
  try {
    const script = await runHm(["completions", "bash"]);
    // Each reply, read back by bash as a word, must give the slug itself.
    const driver = `${script.stdout}\nCOMP_WORDS=(hm run ""); COMP_CWORD=2; _hm_complete; for w in "\${COMPREPLY[@]}"; do eval "printf '%s\\n' $w"; done`;
    const r = Bun.spawnSync(["bash", "-c", driver], {
      cwd: tricky.root,
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: scratch.path },
    });
    expect(r.stdout.toString()).toBe(`x$(touch\${IFS}${marker})\nit's\n`);
    expect(existsSync(marker)).toBe(false);
  } finally {
    tricky.cleanup();
  }
});

test("pipeline slugs of the project in the working directory, or of -d", async () => {
  expect(await candidates("run", "")).toEqual(["alpha", "beta"]);
  expect(await candidates("render", "b")).toEqual(["beta"]);
  const other = makeProject({ ".hm/gamma.ir.json": irJson([{ key: "g" }]) });
  try {
    expect(await candidates("run", "-d", other.root, "")).toEqual(["gamma"]);
  } finally {
    other.cleanup();
  }
});

test("a plugin verb's own flags, and installed plugin names", async () => {
  const flags = await candidates("fixture-probe", "--");
  expect(flags).toContain("--config");
  expect(flags).toContain("--verbose-probe");
  expect(await candidates("plugin", "info", "harmont-fixture-")).toEqual([
    "harmont-fixture-noop",
    "harmont-fixture-probe",
  ]);
  expect(await candidates("plugin", "info", "")).toContain("shell");
});

test("bash: the script completes through hm itself", async () => {
  const script = await runHm(["completions", "bash"]);
  expect(script.exitCode).toBe(0);
  const driver = `${script.stdout}
COMP_WORDS=(hm run --runner ""); COMP_CWORD=3; _hm_complete; echo "runners: \${COMPREPLY[*]}"
COMP_WORDS=(hm re); COMP_CWORD=1; _hm_complete; echo "commands: \${COMPREPLY[*]}"
COMP_WORDS=(hm run ""); COMP_CWORD=2; _hm_complete; echo "slugs: \${COMPREPLY[*]}"
`;
  const r = Bun.spawnSync(["bash", "-c", driver], {
    cwd: project.root,
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: scratch.path, HM_PLUGIN_PATH: plugins },
  });
  expect(r.stderr.toString()).toBe("");
  expect(r.stdout.toString()).toBe("runners: docker noop shell\ncommands: render\nslugs: alpha beta\n");
});

test("zsh and fish scripts are printed; zsh's parses when zsh is here; an unknown shell is an error", async () => {
  for (const shell of ["zsh", "fish"]) {
    const r = await runHm(["completions", shell]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("__complete");
  }
  if (Bun.which("zsh") !== null) {
    const zsh = await runHm(["completions", "zsh"]);
    expect(Bun.spawnSync(["zsh", "-n", "-c", zsh.stdout]).exitCode).toBe(0);
  }
  const bad = await runHm(["completions", "tcsh"]);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain("no completion script for shell 'tcsh'");
  expect(bad.stderr).toContain("available: bash, zsh, fish");
});
