/**
 * A `.hm/*.ts` module that exports no pipeline is a helper the pipeline
 * files import: skipped (a note with -v), as the reference skips it; only
 * when no file defines a pipeline is it an error (exit 2).
 */
import { afterAll, expect, test } from "bun:test";
import { runHm } from "../helpers/hm.ts";
import { makeProject } from "../helpers/project.ts";

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});
function project(files: Record<string, string>): string {
  const p = makeProject(files);
  cleanups.push(p.cleanup);
  return p.root;
}

const HELPER = `import { sh } from "@harmont/hm";
export const lint = () => sh("echo lint", { label: "lint" });
`;
const PIPELINE = `import { pipeline } from "@harmont/hm";
import { lint } from "./common.ts";
export default { slug: "ci", pipeline: pipeline([lint()]) };
`;

test("a top-level helper module is skipped and the pipeline that imports it renders", async () => {
  const root = project({ ".hm/common.ts": HELPER, ".hm/pipeline.ts": PIPELINE });
  const listed = await runHm(["pipelines", "-d", root]);
  expect(listed.exitCode).toBe(0);
  expect(listed.stderr).toBe("");
  expect(JSON.parse(listed.stdout).pipelines.map((p: { slug: string }) => p.slug)).toEqual(["ci"]);

  const verbose = await runHm(["render", "ci", "-d", root, "-v"]);
  expect(verbose.exitCode).toBe(0);
  expect(verbose.stderr).toContain(".hm/common.ts exports no pipeline definition: skipped");
  expect(JSON.parse(verbose.stdout).graph.nodes[0].step.label).toBe("lint");
}, 60_000);

test("with no module exporting a pipeline it is still an error naming the files (exit 2)", async () => {
  const root = project({ ".hm/common.ts": HELPER, ".hm/more.ts": "export const x = 1;\n" });
  const r = await runHm(["pipelines", "-d", root]);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain("✘ none of .hm/common.ts, .hm/more.ts exports a pipeline definition");
  expect(r.stderr).toContain("export default");
}, 60_000);

test("a helper beside an .ir.json pipeline is skipped too", async () => {
  const ir = JSON.stringify({ version: "0", steps: [{ type: "command", key: "a", cmd: "true" }] });
  const root = project({ ".hm/common.ts": HELPER, ".hm/ci.ir.json": ir });
  const r = await runHm(["pipelines", "-d", root]);
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
}, 60_000);
