/**
 * The compiled binary contains pipeline files too: it starts itself to
 * evaluate them, with no second entry point. Built here as test/e2e does.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { buildBinaryOnce } from "../helpers/build-binary.ts";
import { runHm, tempDir } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const outside = tempDir("hm-binary-cwd-");
afterAll(() => outside.cleanup());

beforeAll(() => buildBinaryOnce(), 120_000);

test("dist/hm: process.exit(0) and an endless loop in a pipeline file are exit 2 naming the file", async () => {
  const project = makeProject({
    ".hm/a.ts":
      'import { pipeline, sh } from "@harmont/hm";\nprocess.exit(0);\nexport default { slug: "a", pipeline: pipeline([sh("exit 1")]) };\n',
  });
  const looping = makeProject({
    ".hm/b.ts":
      'import { pipeline, sh } from "@harmont/hm";\nwhile (true) {}\nexport default { slug: "b", pipeline: pipeline([sh("exit 1")]) };\n',
  });
  try {
    const exited = await runHm(["render", "a", "-d", project.root], { binary: true, cwd: outside.path });
    expect(exited.exitCode).toBe(2);
    expect(exited.stderr).toContain(".hm/a.ts: its evaluation ended with exit code 0");
    const loop = await runHm(["render", "b", "-d", looping.root], {
      binary: true,
      cwd: outside.path,
      env: { HM_EVAL_TIMEOUT: "1" },
    });
    expect(loop.exitCode).toBe(2);
    expect(loop.stderr).toContain(".hm/b.ts: still evaluating after 1 s");
  } finally {
    project.cleanup();
    looping.cleanup();
  }
}, 60_000);
