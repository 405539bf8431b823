/**
 * One key for a project's state (src/run/project-key.ts): history and the kept archive both
 * key a project by its root's canonical path, and history's key is the one saved runs were
 * filed under before, so they stay findable. `sha256sum` is the oracle for that key.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, realpathSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { projectHistoryDir } from "../../src/run/history/layout.ts";
import { reuseDirectory } from "../../src/run/workspace/pack-reuse.ts";
import { tempDir } from "../helpers/hm.ts";

const scratch = tempDir("hm-project-key-");
afterAll(() => scratch.cleanup());
const real = join(scratch.path, "project");
mkdirSync(real);
const link = join(scratch.path, "link-to-project");
symlinkSync(real, link);
const state = join(scratch.path, "state");

test("history and the kept archive find a project reached through a symlink under its real path's key", () => {
  const env = { HM_STATE_DIR: state };
  expect(projectHistoryDir(link, env)).toBe(projectHistoryDir(real, env));
  expect(reuseDirectory(state, link, ".hm")).toBe(reuseDirectory(state, real, ".hm"));
  expect(reuseDirectory(state, link, null)).toBe(reuseDirectory(state, real, null));
});

test("history's key is the one runs were saved under before: SHA-256 of the canonical root, 16 hex digits", () => {
  const sum = Bun.spawnSync(["sha256sum"], { stdin: new TextEncoder().encode(realpathSync(link)) });
  const expected = sum.stdout.toString().slice(0, 16);
  expect(expected).toMatch(/^[0-9a-f]{16}$/);
  expect(projectHistoryDir(link, { HM_STATE_DIR: state })).toBe(join(state, "history", expected));
});

test("the pipeline directory scopes the kept archive, and no scope is history's key", () => {
  const keys = [".hm", ".harmont", null].map((dir) => basename(reuseDirectory(state, real, dir)));
  expect(new Set(keys).size).toBe(3);
  expect(keys).not.toContain(basename(projectHistoryDir(real, { HM_STATE_DIR: state })));
});
