/**
 * `hm run` with the shell runner, which runs steps on this machine: steps a
 * toolchain helper made to install software stop the run before anything
 * starts unless --allow-host-install is given, and the steps whose image or
 * cache policy the runner ignores are named once. Every step gets
 * `-e PATH=/nonexistent`, so were a check to let an installer through, its
 * apt-get or curl would not be found rather than change this machine.
 */
import { afterAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { type JsonEvent, parseEventStream } from "../helpers/event-schema.ts";
import { runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";

// Removed when the file ends, a failing test's included.
const makeProject = projectsRemovedAfterAll();

const scratch = tempDir("hm-shell-host-");
afterAll(() => scratch.cleanup());

const NO_TOOLS = ["-e", "PATH=/nonexistent"];

async function runShell(files: Record<string, string>, extra: string[] = []) {
  const project = makeProject(files);
  const dirs = runDirs(scratch.path);
  const result = await runHm(
    ["run", "--runner", "shell", "--format", "json", "-d", project.root, ...NO_TOOLS, ...extra],
    { env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp } },
  );
  return { ...result, dirs, events: parseEventStream(result.stdout) };
}

const BUN_PROJECT = {
  ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";
import { js } from "@harmont/hm/toolchains";
const web = js.project({ runtime: "bun" });
export default { slug: "ci", pipeline: pipeline([web.run("test"), sh("echo mine", { label: "mine" })]) };
`,
};

test("toolchain steps that install software stop a shell run before anything starts, naming them and the flag", async () => {
  const r = await runShell(BUN_PROJECT);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain(
    "✘ 2 steps install software on this machine with the shell runner: :bun: apt-base (apt-base), :bun: install (install)",
  );
  expect(r.stderr).toContain("pass --allow-host-install to let them");
  expect(r.events).toEqual([]);
  expect(readdirSync(r.dirs.tmp)).toEqual([]);
});

/** The exit code of the step with this key, or null if it did not end. */
function exitOf(events: readonly JsonEvent[], key: string): number | null {
  const queued = events.find((e) => e.kind === "step_queued" && e.key === key);
  const id = queued?.kind === "step_queued" ? queued.step_id : undefined;
  const end = events.find((e) => e.kind === "step_end" && e.step_id === id);
  return end?.kind === "step_end" ? end.exit_code : null;
}

test("--allow-host-install lets them run", async () => {
  const r = await runShell(BUN_PROJECT, ["--allow-host-install"]);
  // It ran, and failed: PATH has no apt-get.
  expect(r.exitCode).toBe(1);
  expect(exitOf(r.events, "apt-base")).toBe(127);
});

test("a step the user wrote is never refused, whatever it runs", async () => {
  const r = await runShell({
    ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";
export default { slug: "ci", pipeline: pipeline([sh("apt-get update && apt-get install -y curl", { label: ":node: apt-base" })]) };
`,
  });
  expect(r.exitCode).toBe(1);
  expect(exitOf(r.events, "apt-base")).toBe(127);
  expect(r.stderr).not.toContain("install software on this machine");
});

test("the steps whose image or cache the shell runner ignores are named once", async () => {
  const r = await runShell({
    ".hm/ci.ts": `import { forever, onChange, pipeline, sh } from "@harmont/hm";
const deps = sh("echo deps", { label: "deps", image: "alpine:3.20", cache: onChange("package.json") });
export default {
  slug: "ci",
  pipeline: pipeline([
    deps.sh("echo test", { label: "test" }),
    sh("echo once", { label: "once", cache: forever() }),
    sh("echo plain", { label: "plain" }),
  ]),
};
`,
    "package.json": "{}\n",
  });
  expect(r.exitCode).toBe(0);
  const notes = r.stderr.split("\n").filter((line) => line.includes("ignores"));
  expect(notes).toEqual([
    "the shell runner runs steps on this machine and ignores image on deps; cache on deps, once",
  ]);
});

test("a run on docker is not asked about host installs", async () => {
  // Rendering is enough to show the IR is untouched: the mark lives beside it.
  const project = makeProject(BUN_PROJECT);
  const rendered = await runHm(["render", "ci", "-d", project.root]);
  expect(rendered.exitCode).toBe(0);
  expect(rendered.stdout).not.toContain("install software");
  expect(rendered.stdout).toContain('"key":"apt-base"');
});
