/** Every file of the Python SDK is embedded in hm, with the text on disk. */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PYTHON_FILES } from "../../../src/pipeline/python/sdk-files.ts";
import { REPO_ROOT } from "../../helpers/hm.ts";

const PYTHON_DIR = join(REPO_ROOT, "src", "pipeline", "python");

test("sdk-files.ts lists each .py under src/pipeline/python/sdk, and the evaluator, with their text", () => {
  const sdk = join(PYTHON_DIR, "sdk");
  const onDisk = readdirSync(sdk, { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".py") && !path.includes("__pycache__"))
    .map((path) => relative(sdk, join(sdk, path)))
    .concat("evaluate.py")
    .sort();
  expect(Object.keys(PYTHON_FILES).sort()).toEqual(onDisk);
  for (const path of onDisk) {
    const source = path === "evaluate.py" ? join(PYTHON_DIR, path) : join(sdk, path);
    expect(PYTHON_FILES[path]).toBe(readFileSync(source, "utf8"));
  }
});
