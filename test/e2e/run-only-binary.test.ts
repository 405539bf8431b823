/**
 * `--only`, `--list` and `--dry-run` from the compiled binary, on a pipeline
 * file the SDK renders (labels, builds_in, a wait()): the shell runner's
 * steps touch files that say which ran.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildBinaryOnce } from "../helpers/build-binary.ts";
import { runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-only-binary-");
afterAll(() => scratch.cleanup());
beforeAll(() => buildBinaryOnce(), 120_000);

const PIPELINE = `import { pipeline, sh, wait } from "@harmont/hm";
const deps = sh('echo made > made.txt && touch "$MARKS/install"', { label: "install" });
export default {
  slug: "ci",
  pipeline: pipeline([
    deps.sh('cat made.txt && touch "$MARKS/test"', { label: "test" }),
    sh('touch "$MARKS/lint"', { label: "lint" }),
    wait(),
    sh('touch "$MARKS/done"', { label: "done" }),
  ]),
};
`;

test("dist/hm: --list, --dry-run and --only on an SDK pipeline", async () => {
  const project = makeProject({ ".hm/ci.ts": PIPELINE });
  const dirs = runDirs(scratch.path);
  const marks = join(scratch.path, crypto.randomUUID());
  mkdirSync(marks);
  const hm = (args: string[]) =>
    runHm(["run", "--runner", "shell", ...args], {
      binary: true,
      cwd: project.root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp, MARKS: marks },
    });
  try {
    const listed = await hm(["--list", "--only", "test"]);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout.split("\n").map((line) => line.split(/\s+/).slice(0, 3).join(" "))).toEqual([
      "pipeline 'ci' (only",
      "KEY NAME RUNNER",
      "install install shell",
      "test test shell",
      "",
    ]);
    const dry = await hm(["--dry-run"]);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toEndWith("0 cache hits, 4 to run\n");
    expect(readdirSync(marks)).toEqual([]);
    const ran = await hm(["--only", "test", "--logs"]);
    expect(ran.exitCode).toBe(0);
    expect(readdirSync(marks).sort()).toEqual(["install", "test"]);
    expect(ran.stdout).toMatch(/✓ Build succeeded in \S+ \(only 2 of 4 steps: --only test\)\n$/);
  } finally {
    project.cleanup();
  }
}, 120_000);
