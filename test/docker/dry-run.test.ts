/**
 * `hm run --dry-run` against the real engine: after a real run made cache
 * entries, the dry run names the hits the next run gets, and changes
 * nothing in the engine: no container, image, pull or re-tag (the engine's
 * own event log is read for the dry run's time window).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  dockerProject,
  dockerReady,
  ensureTestImage,
  projectCacheTags,
  projectWorkspaceTags,
  runJson,
  TEST_IMAGE,
} from "../helpers/docker.ts";
import { runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { streamText } from "../helpers/stream-text.ts";

const scratch = tempDir("hm-dry-run-");
/** In every step key, so the engine's events and objects of this test are told from others'. */
const id = crypto.randomUUID().slice(0, 8);
const k = (name: string) => `${name}-${id}`;
const ABSENT_IMAGE = `hm-test/absent-${id}:1`;

const project = dockerProject({
  ".hm/ci.ir.json": irJson(
    [
      {
        key: k("base"),
        cmd: "echo base > /base.txt",
        image: TEST_IMAGE,
        cache: { policy: "forever", key: "b" },
      },
      { key: k("mid"), cmd: "echo mid >> /base.txt" },
      { key: k("leaf"), cmd: "cat /base.txt", cache: { policy: "forever", key: "l" } },
      { key: k("fresh"), cmd: "echo fresh", image: TEST_IMAGE, cache: { policy: "forever", key: "f" } },
      { key: k("pulled"), cmd: "true", image: ABSENT_IMAGE, cache: { policy: "forever", key: "p" } },
      { key: k("below"), cmd: "true", cache: { policy: "forever", key: "u" } },
      { key: k("plain"), cmd: "true", image: TEST_IMAGE },
      { key: k("hosted"), cmd: "true", runner: "shell" },
      { key: k("onshell"), cmd: "true", runner: "docker", cache: { policy: "forever", key: "s" } },
    ],
    [
      [k("base"), k("mid"), "builds_in"],
      [k("mid"), k("leaf"), "builds_in"],
      [k("pulled"), k("below"), "builds_in"],
      [k("hosted"), k("onshell"), "builds_in"],
    ],
  ),
});
beforeAll(() => ensureTestImage(), 120_000);
afterAll(async () => {
  await project.cleanup();
  scratch.cleanup();
});

const stateDir = () => join(scratch.path, crypto.randomUUID());
const hm = (args: string[]) =>
  runHm(["run", ...args], { cwd: project.root, env: { HM_STATE_DIR: stateDir() } });
const docker = (...args: string[]) =>
  Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" })
    .stdout.toString()
    .trim();
/**
 * The engine's events that mention this test's id while `action` runs, read live: the engine keeps
 * only its last 256 events for `docker events --since`, which a busy shared engine rolls past in
 * seconds (the window then looked empty). A tag of our own marks where the window starts and ends.
 */
async function engineEventsDuring(action: () => Promise<void>): Promise<string[]> {
  const events = Bun.spawn(["docker", "events", "--format", "{{json .}}"], {
    stdout: "pipe",
    stderr: "ignore",
  });
  const seen = streamText(events.stdout);
  // `docker events` subscribes some time after it starts: a mark made before that is never shown,
  // so a mark not seen within 2 s is made again, under a new tag.
  const mark = async () => {
    for (let attempt = 1; ; attempt++) {
      const tag = `hm-test/events-mark-${crypto.randomUUID().slice(0, 8)}:1`;
      docker("image", "tag", TEST_IMAGE, tag);
      const shown = await Promise.race([
        seen.contains(tag).then(
          () => true,
          () => false,
        ),
        Bun.sleep(2000).then(() => false),
      ]);
      docker("rmi", tag);
      if (shown) return;
      if (attempt === 30) throw new Error(`docker events showed none of 30 marks:\n${seen.text()}`);
    }
  };
  try {
    await mark();
    await action();
    await mark();
  } finally {
    events.kill();
  }
  return seen
    .text()
    .split("\n")
    .filter((line) => line.includes(id));
}
const lastTagged = (tag: string) => docker("image", "inspect", "--format", "{{.Metadata.LastTagTime}}", tag);

interface Forecast {
  key: string;
  forecast: { kind: string; tag?: string | null; reason?: string };
}
const forecasts = async (args: string[] = []) => {
  const r = await hm(["--dry-run", "--format", "json", ...args]);
  expect(r.exitCode).toBe(0);
  const doc = JSON.parse(r.stdout) as { dry_run: boolean; steps: Forecast[] };
  expect(doc.dry_run).toBe(true);
  return new Map(doc.steps.map((s) => [s.key, s.forecast]));
};

describe.skipIf(!dockerReady)("hm run --dry-run (docker)", () => {
  test("after a real run, the dry run reports its hits and leaves the engine as it was", async () => {
    const first = await runJson(project.root, ["--only", k("leaf")], stateDir());
    expect(first.exitCode).toBe(0);
    const tags = await projectCacheTags(project.root);
    const baseTag = tags.find((t) => t.includes(`/${k("base")}:`));
    const leafTag = tags.find((t) => t.includes(`/${k("leaf")}:`));
    expect(baseTag).toBeDefined();
    expect(leafTag).toBeDefined();

    const before = {
      tags,
      workspaces: await projectWorkspaceTags(project.root),
      lastTagged: [lastTagged(baseTag as string), lastTagged(leafTag as string)],
    };
    let plan = new Map<string, Forecast["forecast"]>();
    let text = { exitCode: -1, stdout: "", stderr: "" };
    const dryRunEvents = await engineEventsDuring(async () => {
      plan = await forecasts();
      text = await hm(["--dry-run"]);
    });

    expect(plan.get(k("base"))).toEqual({ kind: "hit", tag: baseTag });
    expect(plan.get(k("mid"))).toEqual({ kind: "uncached", reason: "no cache policy" });
    // mid is not cached, but leaf's entry stands for mid's definition, not its result: known before mid runs.
    expect(plan.get(k("leaf"))).toEqual({ kind: "hit", tag: leafTag });
    const fresh = plan.get(k("fresh"));
    expect(fresh?.kind).toBe("miss");
    expect(fresh?.tag).toStartWith(`${baseTag?.split("/").slice(0, 2).join("/")}/${k("fresh")}:`);
    expect(plan.get(k("pulled"))).toEqual({
      kind: "miss",
      tag: null,
      reason: `image '${ABSENT_IMAGE}' is not on the engine: the run pulls it first`,
    });
    expect(plan.get(k("below"))).toEqual({
      kind: "unknown",
      reason: `depends on image '${ABSENT_IMAGE}', which the run pulls first`,
    });
    expect(plan.get(k("plain"))).toEqual({ kind: "uncached", reason: "no cache policy" });
    expect(plan.get(k("hosted"))).toEqual({ kind: "uncached", reason: "runner 'shell' keeps no step cache" });
    // A run cannot tell what a docker step starts from when its parent ran elsewhere: never cached.
    expect(plan.get(k("onshell"))).toEqual({ kind: "uncached", reason: "its parent runs on another runner" });
    expect(text.exitCode).toBe(0);
    const row = (key: string) => text.stdout.split("\n").find((line) => line.startsWith(`${key} `));
    expect(row(k("base"))).toEndWith(` docker  hit ${baseTag}`);
    expect(row(k("below"))).toEndWith(
      ` docker  unknown (depends on image '${ABSENT_IMAGE}', which the run pulls first)`,
    );
    expect(text.stdout).toEndWith("2 cache hits, 6 to run, 1 unknown until the run\n");

    // Nothing in the engine changed: same entries, same workspace images, no re-tag (a real lookup re-tags a hit).
    expect(await projectCacheTags(project.root)).toEqual(before.tags);
    expect(await projectWorkspaceTags(project.root)).toEqual(before.workspaces);
    expect([lastTagged(baseTag as string), lastTagged(leafTag as string)]).toEqual(before.lastTagged);
    expect(docker("image", "ls", "-q", ABSENT_IMAGE)).toBe("");
    // …and the engine saw nothing of this test's steps: no container made, started or removed, no commit, no tag.
    expect(dryRunEvents).toEqual([]);

    // The run itself gets exactly the hits the dry run named.
    let again: Awaited<ReturnType<typeof runJson>> | undefined;
    const runEvents = await engineEventsDuring(async () => {
      again = await runJson(project.root, ["--only", k("leaf")], stateDir());
    });
    if (again === undefined) throw new Error("the run did not happen");
    expect(again.exitCode).toBe(0);
    // The event log check above can fail: a real run's window shows this test's container (mid runs).
    expect(runEvents.some((line) => line.includes(`"container"`))).toBe(true);
    const hitKeys = again.events.flatMap((e) => (e.kind === "step_cache_hit" ? [e.tag] : []));
    expect(hitKeys).toEqual([baseTag as string, leafTag as string]);
  }, 120_000);

  test("what a run would change, the dry run sees: -e makes the entries misses", async () => {
    const plan = await forecasts(["-e", "EXTRA=1", "--only", k("leaf")]);
    expect([...plan.keys()]).toEqual([k("base"), k("mid"), k("leaf")]);
    expect(plan.get(k("base"))?.kind).toBe("miss");
    expect(plan.get(k("leaf"))?.kind).toBe("miss");
  }, 60_000);
});
