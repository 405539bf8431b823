/**
 * `hm run --logs` on the real shell runner: steps are named by label or
 * command rather than hash keys, and the output ends with the summary, so a
 * failure thousands of lines up is restated where a reader of a CI log looks.
 */
import { afterAll, expect, test } from "bun:test";
import { runDirs, runHm, tempDir } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-plain-summary-");
afterAll(() => scratch.cleanup());

test("a step that prints 5000 lines then fails: the last lines name it, its exit code and its last lines", async () => {
  const project = makeProject({
    ".hm/ci.ts": `import { pipeline, sh } from "@harmont/hm";
const build = sh("sh ./noisy.sh");
export default {
  slug: "ci",
  pipeline: pipeline([build, build.sh("echo never"), sh("echo fine", { label: "passes" })]),
};
`,
    "noisy.sh": `i=0
while [ "$i" -lt 5000 ]; do i=$((i + 1)); echo "compiling unit $i"; done
echo "error: unit 5001 does not compile"
exit 7
`,
  });
  try {
    const dirs = runDirs(scratch.path);
    const r = await runHm(["run", "--runner", "shell", "--logs", "-k"], {
      cwd: project.root,
      env: { HM_STATE_DIR: dirs.state, TMPDIR: dirs.tmp },
    });
    expect(r.exitCode).toBe(1);
    // The plain lines are the command's output (stdout); stderr is for diagnostics.
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    // The failed step's section and the verdict close the output.
    expect(lines.slice(-25)).toEqual([
      "--- sh ./noisy.sh failed (exit 7) ---",
      "… 4981 earlier lines not shown",
      ...Array.from({ length: 19 }, (_, i) => `compiling unit ${4982 + i}`),
      "error: unit 5001 does not compile",
      expect.stringMatching(/^full log: hm logs [0-9a-f]{8} 'sh \.\/noisy\.sh'$/),
      "",
      expect.stringMatching(/^✗ Build failed in \d/),
    ]);
    // Above it, a row per step: failed with its exit code, passed, skipped.
    const rows = lines.slice(lines.findIndex((l) => l.startsWith("build: end exit=1")) + 1, -25);
    expect(rows.length).toBe(5);
    expect(rows).toContainEqual(expect.stringMatching(/^ {2}✗ sh \.\/noisy\.sh {2}\S+ {2}exit 7$/));
    expect(rows).toContainEqual(expect.stringMatching(/^ {2}✓ passes {9}\S+$/));
    expect(rows).toContainEqual("  - echo never     skipped (dependency failed)");
    // Every line of the log went by above, under the step's command, never a hash key.
    expect(lines).toContain("[sh ./noisy.sh] compiling unit 1");
    expect(lines).toContain("[passes] fine");
    expect(r.stdout).not.toMatch(/\[[0-9a-f]{12}\]/);
  } finally {
    project.cleanup();
  }
});
