/**
 * `installed: true` on a toolchain: real runs with the shell runner use what
 * this machine has (bun, cmake, cc) instead of installing it — so the host
 * check does not stop them — and a command that is missing fails the check
 * step with 127, naming it.
 */
import { afterAll, expect, test } from "bun:test";
import { type JsonEvent, parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";

// Removed when the file ends, a failing test's included.
const makeProject = projectsRemovedAfterAll();

const scratch = tempDir("hm-installed-");
afterAll(() => scratch.cleanup());

async function runShell(files: Record<string, string>) {
  const project = makeProject(files);
  const dirs = runDirs(scratch.path);
  const result = await runHm(["run", "--runner", "shell", "--format", "json", "-d", project.root], {
    env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
  });
  return { ...result, events: parseEventStream(result.stdout) };
}

function exitOf(events: readonly JsonEvent[], key: string): number | null {
  const queued = events.find((e) => e.kind === "step_queued" && e.key === key);
  const id = queued?.kind === "step_queued" ? queued.step_id : undefined;
  const end = events.find((e) => e.kind === "step_end" && e.step_id === id);
  return end?.kind === "step_end" ? end.exit_code : null;
}

test.skipIf(Bun.which("bun") === null)("a bun project runs with the bun this machine has", async () => {
  const r = await runShell({
    ".hm/ci.ts": `import { pipeline } from "@harmont/hm";
import { js } from "@harmont/hm/toolchains";
const web = js.project({ runtime: "bun", installed: true });
export default { slug: "ci", pipeline: pipeline([web.run("test")]) };
`,
    "package.json": '{ "name": "web", "scripts": { "test": "echo tested with bun" } }\n',
  });
  expect(r.stderr).not.toContain("install software on this machine");
  expect(r.exitCode).toBe(0);
  expect(exitOf(r.events, "installed")).toBe(0);
  expect(stepLines(r.events, "test", "stdout")).toContain("tested with bun");
});

const CMAKE_PROJECT = {
  "CMakeLists.txt": "cmake_minimum_required(VERSION 3.16)\nproject(hello C)\nadd_executable(hello main.c)\n",
  "main.c": '#include <stdio.h>\nint main(void) { puts("hello from cmake"); return 0; }\n',
};

test.skipIf(Bun.which("cmake") === null || Bun.which("ninja") === null)(
  "a CMake project configures and builds with this machine's cmake, ninja and cc",
  async () => {
    const r = await runShell({
      ...CMAKE_PROJECT,
      ".hm/ci.ts": `import { pipeline } from "@harmont/hm";
import { cmake } from "@harmont/hm/toolchains";
const app = cmake({ path: ".", installed: true, ccache: false });
export default { slug: "ci", pipeline: pipeline([app.build().sh("./build/hello", { label: "hello" })]) };
`,
    });
    expect(r.exitCode).toBe(0);
    expect(stepLines(r.events, "hello", "stdout")).toEqual(["hello from cmake"]);
  },
);

test.skipIf(Bun.which("zig") !== null)(
  "a command the machine lacks fails the check with 127, naming it",
  async () => {
    const r = await runShell({
      ...CMAKE_PROJECT,
      ".hm/ci.ts": `import { pipeline } from "@harmont/hm";
import { zig } from "@harmont/hm/toolchains";
export default { slug: "ci", pipeline: pipeline([zig({ path: ".", installed: true }).build()]) };
`,
    });
    expect(r.exitCode).toBe(1);
    expect(exitOf(r.events, "installed")).toBe(127);
    expect(stepLines(r.events, "installed", "stderr")).toContain(
      "hm: zig: zig is not on the PATH (installed: true uses what is installed)",
    );
  },
);
