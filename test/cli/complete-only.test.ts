/** `hm run --only <TAB>`: the step keys of the pipeline named before it (or the only one), described by their names. */
import { afterAll, expect, test } from "bun:test";
import { runHm } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { makeProject } from "../helpers/project.ts";

const one = makeProject({
  ".hm/ci.ir.json": irJson([{ key: "install", label: "Install deps" }, { key: "test" }, { key: "lint" }]),
});
const two = makeProject({
  ".hm/alpha.ir.json": irJson([{ key: "a1" }, { key: "a2" }]),
  ".hm/beta.ir.json": irJson([{ key: "b1" }]),
});
afterAll(() => {
  one.cleanup();
  two.cleanup();
});

const complete = async (cwd: string, ...words: string[]) =>
  (await runHm(["__complete", ...words], { cwd })).stdout.split("\n").filter(Boolean);

test("--only completes the only pipeline's step keys, with their names", async () => {
  expect(await complete(one.root, "run", "--only", "")).toEqual([
    "install\tInstall deps",
    "test\techo test",
    "lint\techo lint",
  ]);
  expect(await complete(one.root, "run", "--only", "te")).toEqual(["test\techo test"]);
  expect(await complete(one.root, "run", "-d", one.root, "--only", "l")).toEqual(["lint\techo lint"]);
});

test("with several pipelines, the keys of the one named before --only; none when none is named", async () => {
  expect(await complete(two.root, "run", "beta", "--only", "")).toEqual(["b1\techo b1"]);
  expect(await complete(two.root, "run", "alpha", "--list", "--only", "a")).toEqual([
    "a1\techo a1",
    "a2\techo a2",
  ]);
  expect(await complete(two.root, "run", "--only", "")).toEqual([]);
});
