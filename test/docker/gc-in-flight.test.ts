/**
 * `hm gc` after a `kill -9` catches what the engine was still doing for the
 * dead run: a commit in flight (its ephemeral image lands seconds after hm
 * died) is waited for and removed; and a run killed between caching a new
 * entry and evicting the old one leaves two entries in one cache repository,
 * of which gc keeps the most recently used. Real engine, real commits.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  cacheScratch,
  dockerReady,
  ensureTestImage,
  labelled,
  projectCacheTags,
  runJson,
  TEST_IMAGE,
} from "../helpers/docker.ts";
import { baseEnv, REPO_ROOT, runHm } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";

const scratch = cacheScratch("hm-gc-in-flight-");
beforeAll(() => ensureTestImage(), 120_000);
afterAll(() => scratch.cleanup());

const docker = (...args: string[]) => Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });

describe.skipIf(!dockerReady)("hm gc and the engine's unfinished work", () => {
  test("kill -9 while the engine commits a large snapshot: hm gc waits for the image and removes it", async () => {
    // 300 MB written in the container: the engine needs a few seconds to commit it.
    const project = scratch.project({
      ".hm/ci.ir.json": irJson(
        [
          { key: "big", cmd: "head -c 300000000 /dev/urandom > /big", image: TEST_IMAGE },
          { key: "child", cmd: "ls -l /big" },
          { key: "sibling", cmd: "ls -l /big" },
        ],
        // Two builds_in children: the engine must commit big's filesystem as a snapshot.
        [
          ["big", "child", "builds_in"],
          ["big", "sibling", "builds_in"],
        ],
      ),
    });
    const state = join(scratch.path, crypto.randomUUID());
    const env = { ...baseEnv(), HM_STATE_DIR: state };
    const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--format", "json"], {
      cwd: project.root,
      env,
      stdout: "pipe",
      stderr: "ignore",
    });
    let stdout = "";
    const reader = proc.stdout.getReader();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        stdout += new TextDecoder().decode(value);
      }
    })();
    let runId = "";
    while (runId === "") {
      if (proc.exitCode !== null) throw new Error("hm exited before the build started");
      const line = stdout.split("\n").find((l) => l.includes('"build_start"') && l.endsWith("}"));
      runId = line === undefined ? "" : (JSON.parse(line) as { run_id: string }).run_id;
      await Bun.sleep(20);
    }
    // The step has passed once hm marks the commit it is about to ask the engine for; give it the request.
    const commits = join(state, "commits");
    for (
      let waited = 0;
      waited < 120_000 && !(existsSync(commits) && readdirSync(commits).length > 0);
      waited += 20
    )
      await Bun.sleep(20);
    await Bun.sleep(300);
    proc.kill("SIGKILL");
    await proc.exited;
    const gc = await runHm(["gc"], { cwd: project.root, env });
    expect(gc.exitCode).toBe(0);
    expect(labelled("images", runId)).toEqual([]);
    // Whatever the engine was doing for the dead run has finished by now, and left nothing.
    for (let i = 0; i < 20; i++) {
      await Bun.sleep(250);
      expect(labelled("images", runId)).toEqual([]);
    }
    expect(labelled("containers", runId)).toEqual([]);
  }, 180_000);

  test("two entries in one cache repository (killed between caching and eviction): gc keeps the most recent", async () => {
    const pipeline = (cmd: string) =>
      irJson([{ key: "install", cmd, image: TEST_IMAGE, cache: { policy: "forever", key: "k" } }]);
    const project = scratch.project({ ".hm/ci.ir.json": pipeline("echo one > /one") });
    const state = join(scratch.path, crypto.randomUUID());
    expect((await runJson(project.root, [], state)).exitCode).toBe(0);
    const tags = await projectCacheTags(project.root);
    expect(tags).toHaveLength(1);
    const older = tags[0] as string;
    // The state a kill between caching and eviction leaves: the old entry beside a newer one.
    const repository = older.slice(0, older.lastIndexOf(":"));
    const maker = `hm-test-maker-${crypto.randomUUID().slice(0, 8)}`;
    const newer = `${repository}:${"f".repeat(16)}`;
    try {
      expect(docker("run", "--name", maker, TEST_IMAGE, "sh", "-c", "echo two > /two").exitCode).toBe(0);
      await Bun.sleep(1100); // the engine's times are in seconds: the newer entry must be newer
      expect(docker("commit", maker, newer).exitCode).toBe(0);
    } finally {
      docker("rm", "-f", maker);
    }
    expect(await projectCacheTags(project.root)).toEqual([older, newer].sort());
    const gc = await runHm(["gc"], { cwd: project.root, env: { HM_STATE_DIR: state } });
    expect(gc.exitCode).toBe(0);
    expect(gc.stdout).toMatch(/^stale cache entries removed: [1-9]\d*$/m);
    expect(await projectCacheTags(project.root)).toEqual([newer]);
  }, 120_000);
});
