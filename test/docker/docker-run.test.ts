/**
 * `hm run` on the built-in docker runner against the real engine, with an
 * image the tests build (busybox). Steps inherit their parent's filesystem,
 * siblings fork from one snapshot, tracked deletion, failure and keep-going,
 * the step cache, log volume, timeouts, SIGINT, `hm gc` after kill -9, and
 * an unreachable engine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  cacheScratch,
  containerOwnerPid,
  dockerReady,
  ensureTestImage,
  labelled,
  OWN_HOST,
  onOwnHost,
  projectCacheTags,
  removeProjectCache,
  runJson,
  startLocalRegistry,
  TEST_IMAGE,
} from "../helpers/docker.ts";
import { parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT, runHm } from "../helpers/hm.ts";
import { irJson, type TestStep } from "../helpers/ir.ts";
import { running } from "../helpers/processes.ts";
import { proxyUnixSocket } from "../helpers/tcp-proxy.ts";

// Projects (and the images hm made for them) are removed when the file ends, a failing test's included.
const scratch = cacheScratch("hm-docker-");
afterAll(() => scratch.cleanup());
beforeAll(() => ensureTestImage(), 120_000);

function state(): string {
  return join(scratch.path, crypto.randomUUID());
}

const dockerRun = (root: string, args: string[] = [], stateDir = state()) => runJson(root, args, stateDir);

const step = (key: string, cmd: string, extra: Partial<TestStep> = {}): TestStep => ({ key, cmd, ...extra });

describe.skipIf(!dockerReady)("the docker runner", () => {
  test("a child sees its parent's files; two siblings fork from one snapshot without seeing each other", async () => {
    const project = scratch.project({
      ".hm/ci.ir.json": irJson(
        [
          step("parent", "cat src/input.txt && echo from-parent > made.txt", { image: TEST_IMAGE }),
          step("left", "cat made.txt && echo left > side.txt && ls"),
          step("right", "cat made.txt && test ! -e side.txt && echo right-clean"),
        ],
        [
          ["parent", "left", "builds_in"],
          ["parent", "right", "builds_in"],
        ],
      ),
      "src/input.txt": "working tree\n",
    });
    const r = await dockerRun(project.root);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(stepLines(r.events, "parent")).toEqual(["working tree"]);
    expect(stepLines(r.events, "left")).toEqual(["from-parent", "made.txt", "side.txt", "src"]);
    expect(stepLines(r.events, "right")).toEqual(["from-parent", "right-clean"]);
    const start = r.events.find((e) => e.kind === "build_start");
    const runId = start?.kind === "build_start" ? start.run_id : "";
    expect(labelled("containers", runId)).toEqual([]);
    expect(labelled("images", runId)).toEqual([]);
  }, 60_000);

  test("a failing step skips its dependants (exit 1); -k runs the independent branch", async () => {
    const project = scratch.project({
      ".hm/ci.ir.json": irJson(
        [
          step("bad", "echo oops >&2; exit 3", { image: TEST_IMAGE }),
          step("after", "echo never"),
          step("other", "echo independent", { image: TEST_IMAGE }),
        ],
        [["bad", "after", "builds_in"]],
      ),
    });
    const r = await dockerRun(project.root, ["-k"]);
    expect(r.exitCode).toBe(1);
    expect(stepLines(r.events, "bad", "stderr")).toEqual(["oops"]);
    expect(r.events.find((e) => e.kind === "step_skipped")).toMatchObject({
      key: "after",
      reason: "dependency failed",
    });
    expect(stepLines(r.events, "other")).toEqual(["independent"]);
  }, 60_000);

  test("the cache: a second run hits the cached step; a file deleted from the tree is gone in its child", async () => {
    const key = crypto.randomUUID().replaceAll("-", "");
    const project = scratch.project({
      ".hm/ci.ir.json": irJson(
        [
          step("deps", "echo installing && echo cached > deps.txt", {
            image: TEST_IMAGE,
            cache: { policy: "forever", key },
          }),
          step("check", "cat deps.txt; if [ -e gone.txt ]; then echo present; else echo absent; fi"),
        ],
        [["deps", "check", "builds_in"]],
      ),
      "gone.txt": "soon deleted\n",
    });
    try {
      const first = await dockerRun(project.root);
      expect(first.exitCode).toBe(0);
      expect(stepLines(first.events, "deps")).toEqual(["installing"]);
      expect(stepLines(first.events, "check")).toEqual(["cached", "present"]);
      const tags = await projectCacheTags(project.root);
      expect(tags).toHaveLength(1);
      expect(tags[0]).toMatch(/^hm-cache\/[0-9a-f]{16}\/deps:[0-9a-f]{16}$/);

      rmSync(join(project.root, "gone.txt"));
      const second = await dockerRun(project.root);
      expect(second.exitCode).toBe(0);
      const kinds = second.events.map((e) => e.kind);
      expect(kinds.filter((k) => k === "step_cache_hit").length).toBe(1);
      expect(kinds.filter((k) => k === "step_start").length).toBe(1); // only 'check' ran
      expect(second.events.find((e) => e.kind === "step_cache_hit")).toMatchObject({ key, tag: tags[0] });
      expect(stepLines(second.events, "check")).toEqual(["cached", "absent"]);
    } finally {
      await removeProjectCache(project.root);
      await project.cleanup();
    }
  }, 90_000);

  test("a new cache key for a step evicts that step's older entry of the same project, and only that", async () => {
    const key = () => crypto.randomUUID().replaceAll("-", "");
    const ir = (k: string, otherKey: string) =>
      irJson([
        step("evict", "echo x > f", { image: TEST_IMAGE, cache: { policy: "forever", key: k } }),
        step("keep", "echo y > g", { image: TEST_IMAGE, cache: { policy: "forever", key: otherKey } }),
      ]);
    const [first, second, otherKey] = [key(), key(), key()];
    const project = scratch.project({ ".hm/ci.ir.json": ir(first, otherKey) });
    const elsewhere = scratch.project({ ".hm/ci.ir.json": ir(first, otherKey) });
    try {
      expect((await dockerRun(project.root)).exitCode).toBe(0);
      expect((await dockerRun(elsewhere.root)).exitCode).toBe(0);
      const before = await projectCacheTags(project.root);
      const theirs = await projectCacheTags(elsewhere.root);
      writeFileSync(join(project.root, ".hm", "ci.ir.json"), ir(second, otherKey));
      expect((await dockerRun(project.root)).exitCode).toBe(0);
      const after = await projectCacheTags(project.root);
      expect(after).toHaveLength(2);
      const evictStep = (tags: string[]) => tags.filter((t) => t.includes("/evict:"));
      expect(evictStep(after)).not.toEqual(evictStep(before));
      expect(after.filter((t) => t.includes("/keep:"))).toEqual(before.filter((t) => t.includes("/keep:")));
      // Another project's entries of the same step are not evicted.
      expect(await projectCacheTags(elsewhere.root)).toEqual(theirs);
    } finally {
      await removeProjectCache(project.root);
      await removeProjectCache(elsewhere.root);
      await project.cleanup();
      await elsewhere.cleanup();
    }
  }, 90_000);

  test("100 000 lines per stream arrive complete and in order", async () => {
    const project = scratch.project({
      ".hm/ci.ir.json": irJson([
        step("loud", "seq 1 100000 & seq 1 100000 >&2; wait", { image: TEST_IMAGE }),
      ]),
    });
    const r = await dockerRun(project.root);
    expect(r.exitCode).toBe(0);
    const expected = Array.from({ length: 100_000 }, (_, i) => String(i + 1));
    expect(stepLines(r.events, "loud", "stdout")).toEqual(expected);
    expect(stepLines(r.events, "loud", "stderr")).toEqual(expected);
  }, 90_000);

  test("a 10 000-file workspace arrives whole in /workspace", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) files[`src/d${i % 100}/f${i}.txt`] = `file ${i}\n`;
    const paths = Object.keys(files).sort();
    const expectedSum = new Bun.CryptoHasher("md5").update(paths.map((p) => files[p]).join("")).digest("hex");
    const project = scratch.project({
      ...files,
      ".hm/ci.ir.json": irJson([
        step("count", "find src -type f | wc -l && find src -type f | sort | xargs cat | md5sum", {
          image: TEST_IMAGE,
        }),
      ]),
    });
    const r = await dockerRun(project.root);
    expect(r.exitCode).toBe(0);
    const lines = stepLines(r.events, "count");
    expect(lines[0]?.trim()).toBe("10000");
    expect(lines[1]?.split(/\s+/)[0]).toBe(expectedSum);
  }, 90_000);

  test("a step timeout kills its container: exit 124, nothing left", async () => {
    const project = scratch.project({
      ".hm/ci.ir.json": irJson([step("slow", "sleep 60", { image: TEST_IMAGE, timeout_seconds: 1 })]),
    });
    const r = await dockerRun(project.root);
    expect(r.exitCode).toBe(124);
    const start = r.events.find((e) => e.kind === "build_start");
    const runId = start?.kind === "build_start" ? start.run_id : "";
    expect(labelled("containers", runId)).toEqual([]);
  }, 60_000);

  test("SIGINT mid-step leaves no container and no ephemeral image; kill -9 leftovers go with hm gc", async () => {
    const project = scratch.project({
      ".hm/ci.ir.json": irJson(
        // Two children: base is committed (an ephemeral snapshot), one child takes its container, the other starts from the snapshot.
        [
          step("base", "echo base", { image: TEST_IMAGE }),
          step("long", "sleep 60"),
          step("longer", "sleep 60"),
        ],
        [
          ["base", "long", "builds_in"],
          ["base", "longer", "builds_in"],
        ],
      ),
    });
    // hm under a hostname of its own where the system allows: another hm on the shared engine then
    // leaves the killed run's leftovers alone (it reaped them before this test's gc could, and the
    // gc removed none of them); without it, that race stays and gc's count is only a lower bound.
    const hm = (args: string[]) => {
      const command = [process.execPath, join(REPO_ROOT, "src", "main.ts"), ...args];
      return onOwnHost === null ? command : onOwnHost(command);
    };
    const start = async (stateDir: string) => {
      const proc = Bun.spawn(hm(["run", "--format", "json"]), {
        cwd: project.root,
        env: { ...baseEnv(), HM_STATE_DIR: stateDir },
        stdout: "pipe",
        stderr: "pipe",
      });
      const reader = proc.stdout.getReader();
      let out = "";
      while ((out.match(/"kind":"step_start"/g) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`hm ended early: ${await new Response(proc.stderr).text()}`);
        out += new TextDecoder().decode(value);
      }
      const runId = (JSON.parse(out.split("\n")[0] as string) as { run_id: string }).run_id;
      // The children's containers are created after their step_start is out: wait for them, however
      // long a shared, loaded engine takes (5 s was not always enough: a kill before then found fewer).
      while (labelled("containers", runId).length < 2) {
        if (proc.exitCode !== null)
          throw new Error(`hm ended early: ${await new Response(proc.stderr).text()}`);
        await Bun.sleep(50);
      }
      reader.releaseLock();
      return { proc, runId };
    };

    const runs: string[] = [];
    try {
      const stateDir = state();
      const interrupted = await start(stateDir);
      runs.push(interrupted.runId);
      expect(labelled("images", interrupted.runId).length).toBe(1); // base's ephemeral snapshot
      interrupted.proc.kill("SIGINT");
      expect(await interrupted.proc.exited).toBe(130);
      expect(labelled("containers", interrupted.runId)).toEqual([]);
      expect(labelled("images", interrupted.runId)).toEqual([]);

      const killed = await start(stateDir);
      runs.push(killed.runId);
      const containers = labelled("containers", killed.runId);
      const owner = containerOwnerPid(containers[0] as string);
      killed.proc.kill("SIGKILL");
      await killed.proc.exited;
      // The build child (the owner) dies with its supervisor, once the (loaded) kernel gets to it.
      for (let waited = 0; waited < 10_000 && owner !== null && running(owner); waited += 20)
        await Bun.sleep(20);
      expect(labelled("containers", killed.runId).length).toBe(2);
      const gcProc = Bun.spawn(hm(["gc"]), {
        env: { ...baseEnv(), HM_STATE_DIR: stateDir },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [gcOut, gcCode] = await Promise.all([new Response(gcProc.stdout).text(), gcProc.exited]);
      expect(gcCode).toBe(0);
      const removed = Number(/containers removed: (\d+)/.exec(gcOut)?.[1] ?? "0");
      // On a host of its own, exactly this run's two; else at least them (another hm's dead runs are
      // reaped too, and one may have reaped these first).
      if (onOwnHost !== null) expect(removed).toBe(2);
      else expect(removed).toBeGreaterThanOrEqual(2);
      expect(labelled("containers", killed.runId)).toEqual([]);
      expect(labelled("images", killed.runId)).toEqual([]);
    } finally {
      // A failing test leaves none of its runs' containers and images (no other hm reaps those of its own host).
      for (const runId of runs) {
        const left = labelled("containers", runId);
        if (left.length > 0)
          Bun.spawnSync(["docker", "rm", "-f", ...left], { stdout: "pipe", stderr: "pipe" });
        const images = labelled("images", runId);
        if (images.length > 0)
          Bun.spawnSync(["docker", "rmi", "-f", ...images], { stdout: "pipe", stderr: "pipe" });
      }
      await project.cleanup();
    }
  }, 90_000);
});

test("an unreachable engine: exit 4 naming the address, with a hint", async () => {
  const project = scratch.project({ ".hm/ci.ir.json": irJson([step("a", "true")]) });
  const socket = join(scratch.path, "no-engine.sock");
  mkdirSync(scratch.path, { recursive: true });
  const r = await runHm(["run"], {
    cwd: project.root,
    env: { HM_STATE_DIR: state(), DOCKER_HOST: `unix://${socket}` },
  });
  expect(r.exitCode).toBe(4);
  expect(r.stderr).toContain(`docker engine unreachable at unix://${socket}`);
  expect(r.stderr).toContain("--runner shell");
});

describe.skipIf(!dockerReady)("DOCKER_HOST", () => {
  test("tcp://127.0.0.1:<port>: a run and hm gc go through that listener", async () => {
    const proxy = proxyUnixSocket("/var/run/docker.sock");
    try {
      const project = scratch.project({
        ".hm/ci.ir.json": irJson(
          [step("up", "echo over-tcp > f", { image: TEST_IMAGE }), step("down", "cat f")],
          [["up", "down", "builds_in"]],
        ),
      });
      const env = { HM_STATE_DIR: state(), DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}` };
      const r = await runHm(["run", "--format", "json"], { cwd: project.root, env });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(stepLines(parseEventStream(r.stdout), "down")).toEqual(["over-tcp"]);
      const afterRun = proxy.bytesIn();
      expect(afterRun).toBeGreaterThan(0);
      const gc = await runHm(["gc"], { env });
      expect(gc.stdout).toContain("containers removed: 0");
      expect(proxy.bytesIn()).toBeGreaterThan(afterRun);
    } finally {
      proxy.stop();
    }
  }, 60_000);
});

describe.skipIf(!dockerReady)("pulling a missing image", () => {
  test("from a registry on 127.0.0.1: progress in the step's log, then the step runs", async () => {
    const registry = await startLocalRegistry();
    if (registry === null) return;
    const image = `${registry.address}/hm-test/pulled:${crypto.randomUUID().slice(0, 8)}`;
    try {
      const docker = (...args: string[]) =>
        Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });
      // A layer of its own, so the pull has something to download.
      const maker = `hm-test-pull-${crypto.randomUUID().slice(0, 8)}`;
      try {
        expect(
          docker("run", "--name", maker, TEST_IMAGE, "sh", "-c", `echo ${maker} > /unique`).exitCode,
        ).toBe(0);
        expect(docker("commit", maker, image).exitCode).toBe(0);
      } finally {
        docker("rm", "-f", maker);
      }
      const pushed = docker("push", image);
      expect(pushed.stderr.toString()).toBe("");
      expect(docker("rmi", image).exitCode).toBe(0);
      const project = scratch.project({ ".hm/ci.ir.json": irJson([step("pulled", "echo ran", { image })]) });
      const r = await dockerRun(project.root);
      expect(r.exitCode).toBe(0);
      const log = stepLines(r.events, "pulled", "stderr");
      expect(log[0]).toBe(`hm: pulling ${image}`);
      expect(log.some((line) => /Pull complete|Download complete/.test(line))).toBe(true);
      expect(stepLines(r.events, "pulled", "stdout")).toEqual(["ran"]);

      const missing = `${registry.address}/hm-test/absent:1`;
      const absent = scratch.project({
        ".hm/ci.ir.json": irJson([step("absent", "true", { image: missing })]),
      });
      const failed = await dockerRun(absent.root);
      expect(failed.exitCode).toBe(1);
      expect(failed.events.find((e) => e.kind === "step_end")).toMatchObject({ exit_code: 125 });
      expect(stepLines(failed.events, "absent", "stderr").join("\n")).toContain(
        `cannot pull image '${missing}'`,
      );
    } finally {
      Bun.spawnSync(["docker", "rmi", "-f", image], { stdout: "ignore", stderr: "ignore" });
      registry.stop();
    }
  }, 90_000);
});

describe.skipIf(!dockerReady)("hm gc and runs of other state directories", () => {
  test("a container whose hm is alive is kept; one whose hm is gone is removed", async () => {
    // On a host of its own where the system allows: no other hm on the shared engine reaps the dead
    // owner's container before this gc does (and a gc that failed to would go unseen).
    const host = onOwnHost === null ? (await import("node:os")).hostname() : OWN_HOST;
    const gone = Bun.spawnSync(["true"]).pid; // exited and reaped: its pid names no live hm
    const create = (owner: string) =>
      Bun.spawnSync(
        [
          "docker",
          "create",
          "--label",
          `dev.hm.run=${crypto.randomUUID()}`,
          "--label",
          `dev.hm.owner=${owner}`,
          TEST_IMAGE,
          "true",
        ],
        { stdout: "pipe" },
      )
        .stdout.toString()
        .trim();
    const alive = create(`${process.pid}@${host}`);
    const dead = create(`${gone}@${host}`);
    try {
      const command = [process.execPath, join(REPO_ROOT, "src", "main.ts"), "gc"];
      const gc = Bun.spawn(onOwnHost === null ? command : onOwnHost(command), {
        env: { ...baseEnv(), HM_STATE_DIR: state() },
        stdout: "ignore",
        stderr: "ignore",
      });
      expect(await gc.exited).toBe(0);
      const exists = (id: string) =>
        Bun.spawnSync(["docker", "container", "inspect", id], { stdout: "ignore", stderr: "ignore" })
          .exitCode === 0;
      expect(exists(alive)).toBe(true);
      expect(exists(dead)).toBe(false);
    } finally {
      Bun.spawnSync(["docker", "rm", "-f", alive, dead], { stdout: "ignore", stderr: "ignore" });
    }
  });
});
