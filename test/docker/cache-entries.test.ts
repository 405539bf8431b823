/**
 * What a step-cache entry stands for, against the real engine: it belongs to
 * one project, and a hit needs the same SDK key and the same command, image
 * (by id), environment and parent entry. A failed, timed-out or cancelled
 * step never becomes an entry. Every test works in projects of its own, so
 * it only ever sees (and removes) its own cache images.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  cacheScratch,
  dockerReady,
  ensureTestImage,
  projectCacheTags,
  runJson,
  TEST_IMAGE,
} from "../helpers/docker.ts";
import { type JsonEvent, stepLines } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT } from "../helpers/hm.ts";
import { irJson, type TestStep } from "../helpers/ir.ts";

const scratch = cacheScratch("hm-cache-entries-");
beforeAll(() => ensureTestImage(), 120_000);
afterAll(() => scratch.cleanup());

const project = (files: Record<string, string>) => scratch.project(files);

const run = (root: string, args: string[] = []) =>
  runJson(root, args, join(scratch.path, crypto.randomUUID()));
const hits = (events: JsonEvent[]) => events.filter((e) => e.kind === "step_cache_hit").length;
const docker = (...args: string[]) => Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });

/** An image of our own: TEST_IMAGE plus /marker holding `text`. */
function imageWithMarker(text: string): string {
  const name = `hm-test/marker-${crypto.randomUUID().slice(0, 8)}:1`;
  const maker = `hm-test-maker-${crypto.randomUUID().slice(0, 8)}`;
  scratch.ownImage(name);
  try {
    expect(docker("run", "--name", maker, TEST_IMAGE, "sh", "-c", `echo ${text} > /marker`).exitCode).toBe(0);
    expect(docker("commit", maker, name).exitCode).toBe(0);
  } finally {
    docker("rm", "-f", maker);
  }
  return name;
}

/** A cached `install` writing the project's own id.txt to /owner.txt, and a child printing it. */
function ownerPipeline(extra: Partial<TestStep> = {}, cmd = "cat id.txt > /owner.txt && echo built"): string {
  return irJson(
    [
      {
        key: "install",
        cmd,
        image: TEST_IMAGE,
        cache: { policy: "forever", key: "same-key-everywhere" },
        ...extra,
      },
      { key: "check", cmd: "cat /owner.txt" },
    ],
    [["install", "check", "builds_in"]],
  );
}

describe.skipIf(!dockerReady)("step-cache entries", () => {
  test("two projects with the same pipeline, step and SDK key never share an entry or evict each other", async () => {
    const a = project({ ".hm/ci.ir.json": ownerPipeline(), "id.txt": "project-a\n" });
    const b = project({ ".hm/ci.ir.json": ownerPipeline(), "id.txt": "project-b\n" });
    const first = await run(a.root);
    expect(first.exitCode).toBe(0);
    const second = await run(b.root);
    expect(second.exitCode).toBe(0);
    expect(hits(second.events)).toBe(0);
    expect(stepLines(second.events, "check")).toEqual(["project-b"]);
    // A, B, A, B: after the first two runs every run is a hit on its own project's entry.
    for (const [root, owner] of [
      [a.root, "project-a"],
      [b.root, "project-b"],
    ] as const) {
      const again = await run(root);
      expect(again.exitCode).toBe(0);
      expect(hits(again.events)).toBe(1);
      expect(stepLines(again.events, "check")).toEqual([owner]);
    }
    const tagsA = await projectCacheTags(a.root);
    const tagsB = await projectCacheTags(b.root);
    expect(tagsA).toHaveLength(1);
    expect(tagsB).toHaveLength(1);
    expect(tagsA[0]).not.toBe(tagsB[0]);
  }, 120_000);

  test("a clone of the same repository (same root commit) at another path shares the entry", async () => {
    const git = (cwd: string, ...args: string[]) =>
      Bun.spawnSync(["git", ...args], {
        cwd,
        stdout: "pipe",
        stderr: "pipe",
        env: {
          ...baseEnv(),
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@t",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@t",
        },
      });
    const origin = project({ ".hm/ci.ir.json": ownerPipeline(), "id.txt": "repo\n" });
    expect(git(origin.root, "init", "-q").exitCode).toBe(0);
    expect(git(origin.root, "add", ".").exitCode).toBe(0);
    expect(git(origin.root, "commit", "-q", "-m", "first").exitCode).toBe(0);
    const clone = project({});
    expect(git(scratch.path, "clone", "-q", origin.root, join(clone.root, "copy")).exitCode).toBe(0);
    expect((await run(origin.root)).exitCode).toBe(0);
    const fromClone = await run(join(clone.root, "copy"));
    expect(fromClone.exitCode).toBe(0);
    expect(hits(fromClone.events)).toBe(1);
    expect(await projectCacheTags(join(clone.root, "copy"))).toEqual(await projectCacheTags(origin.root));
  }, 120_000);

  test("the same SDK key with another command, environment or image is a miss", async () => {
    const marked = imageWithMarker("second-image");
    const p = project({ ".hm/ci.ir.json": ownerPipeline(), "id.txt": "mine\n" });
    const rerun = async (args: string[] = []) => {
      const r = await run(p.root, args);
      expect(r.exitCode).toBe(0);
      return r;
    };
    expect(hits((await rerun()).events)).toBe(0);
    expect(hits((await rerun()).events)).toBe(1);

    writeFileSync(
      join(p.root, ".hm", "ci.ir.json"),
      ownerPipeline({}, "cat id.txt > /owner.txt && echo built again"),
    );
    const newCommand = await rerun();
    expect(hits(newCommand.events)).toBe(0);
    expect(stepLines(newCommand.events, "install")).toEqual(["built again"]);

    const withEnv = await rerun(["-e", "FLAVOUR=1"]);
    expect(hits(withEnv.events)).toBe(0);
    expect(hits((await rerun(["-e", "FLAVOUR=1"])).events)).toBe(1);
    expect(hits((await rerun(["-e", "FLAVOUR=2"])).events)).toBe(0);

    writeFileSync(
      join(p.root, ".hm", "ci.ir.json"),
      irJson(
        [
          { key: "install", cmd: "cat /marker", image: marked, cache: { policy: "forever", key: "k" } },
          { key: "check", cmd: "cat /marker" },
        ],
        [["install", "check", "builds_in"]],
      ),
    );
    const newImage = await rerun();
    expect(hits(newImage.events)).toBe(0);
    expect(stepLines(newImage.events, "check")).toEqual(["second-image"]);
  }, 180_000);

  test("an image name moved to other content is a miss: the entry holds the image by id", async () => {
    const moving = `hm-test/moving-${crypto.randomUUID().slice(0, 8)}:1`;
    scratch.ownImage(moving);
    expect(docker("tag", TEST_IMAGE, moving).exitCode).toBe(0);
    const p = project({
      ".hm/ci.ir.json": irJson(
        [
          { key: "install", cmd: "echo built", image: moving, cache: { policy: "forever", key: "k" } },
          { key: "check", cmd: "cat /marker 2>/dev/null || echo old-image" },
        ],
        [["install", "check", "builds_in"]],
      ),
    });
    const first = await run(p.root);
    expect(stepLines(first.events, "check")).toEqual(["old-image"]);
    expect(docker("tag", imageWithMarker("new-image"), moving).exitCode).toBe(0);
    const second = await run(p.root);
    expect(second.exitCode).toBe(0);
    expect(hits(second.events)).toBe(0);
    expect(stepLines(second.events, "check")).toEqual(["new-image"]);
  }, 120_000);

  test("a cached child's entry changes with its parent's command", async () => {
    const ir = (parentCmd: string) =>
      irJson(
        [
          { key: "base", cmd: parentCmd, image: TEST_IMAGE },
          { key: "deps", cmd: "cat /base.txt", cache: { policy: "forever", key: "deps-key" } },
        ],
        [["base", "deps", "builds_in"]],
      );
    const p = project({ ".hm/ci.ir.json": ir("echo one > /base.txt") });
    expect((await run(p.root)).exitCode).toBe(0);
    expect(hits((await run(p.root)).events)).toBe(1);
    writeFileSync(join(p.root, ".hm", "ci.ir.json"), ir("echo two > /base.txt"));
    const changed = await run(p.root);
    expect(hits(changed.events)).toBe(0);
    expect(stepLines(changed.events, "deps")).toEqual(["two"]);
  }, 120_000);

  test("a failed step and a timed-out step leave no entry; the next run runs them again", async () => {
    const p = project({
      ".hm/ci.ir.json": irJson([
        {
          key: "fails",
          cmd: "echo tried > /x; exit 3",
          image: TEST_IMAGE,
          cache: { policy: "forever", key: "f" },
        },
        {
          key: "slow",
          cmd: "echo started; sleep 30",
          image: TEST_IMAGE,
          timeout_seconds: 1,
          cache: { policy: "forever", key: "s" },
        },
      ]),
    });
    for (let i = 0; i < 2; i++) {
      const r = await run(p.root, ["-k"]);
      expect(r.exitCode).toBe(1);
      expect(stepLines(r.events, "fails")).toEqual([]);
      expect(hits(r.events)).toBe(0);
      const ends = r.events
        .filter((e) => e.kind === "step_end")
        .map((e) => (e.kind === "step_end" ? e.exit_code : 0));
      expect(ends.sort()).toEqual([124, 3]);
      expect(await projectCacheTags(p.root)).toEqual([]);
    }
  }, 120_000);

  test("a step cancelled while its filesystem is being committed leaves no entry", async () => {
    // 300 MB of random data takes the engine seconds to commit; Ctrl-C comes once the step has passed.
    const stateDir = join(scratch.path, crypto.randomUUID());
    const p = project({
      ".hm/ci.ir.json": irJson([
        {
          key: "big",
          cmd: "head -c 300000000 /dev/urandom > /big && echo written",
          image: TEST_IMAGE,
          cache: { policy: "forever", key: "big" },
        },
      ]),
    });
    const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--format", "json"], {
      cwd: p.root,
      env: { ...baseEnv(), HM_STATE_DIR: stateDir },
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = proc.stdout.getReader();
    let out = "";
    while (!out.includes('"line":"written"')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`hm ended early: ${await new Response(proc.stderr).text()}`);
      out += new TextDecoder().decode(value);
    }
    // The step has passed: hm marks the commit it asks the engine for, and is committing the filesystem now.
    const commits = join(stateDir, "commits");
    for (let i = 0; i < 2000 && !(existsSync(commits) && readdirSync(commits).length > 0); i++)
      await Bun.sleep(10);
    proc.kill("SIGINT");
    reader.releaseLock();
    expect(await proc.exited).toBe(130);
    expect(await projectCacheTags(p.root)).toEqual([]);
  }, 120_000);
});
