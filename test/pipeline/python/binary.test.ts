/**
 * The compiled binary carries the Python SDK: a Python project renders with
 * dist/hm from a directory that has no hm sources next to it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { buildBinaryOnce } from "../../helpers/build-binary.ts";
import { REPO_ROOT, runHm, tempDir } from "../../helpers/hm.ts";

const outside = tempDir("hm-binary-cwd-");
afterAll(() => outside.cleanup());

beforeAll(() => buildBinaryOnce(), 180_000);

test("dist/hm renders a Python project as hm from source does", async () => {
  const project = join(REPO_ROOT, "test", "fixtures", "python-parity", "targets");
  const env = { PARITY_FLAVOUR: "mint", SOURCE_DATE_EPOCH: "1750000000" };
  const binary = await runHm(["pipelines", "-d", project], { binary: true, cwd: outside.path, env });
  expect(binary.stderr).toBe("");
  expect(binary.exitCode).toBe(0);
  const expected = await Bun.file(join(project, "expected.json")).json();
  expect(JSON.parse(binary.stdout)).toEqual(expected);
}, 60_000);
