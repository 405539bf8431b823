/**
 * Secrets on the docker runner, against the real engine: the value reaches
 * each step's exec, and no image hm makes for the run (workspace image,
 * snapshot, cache entry) nor any of its containers holds it; a changed
 * secret does not change a cache entry (docs/design.md, "Secrets").
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import {
  cacheScratch,
  dockerReady,
  ensureTestImage,
  labelled,
  projectCacheTags,
  projectWorkspaceTags,
  TEST_IMAGE,
} from "../helpers/docker.ts";
import { type JsonEvent, parseEventStream, stepLines } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";

const scratch = cacheScratch("hm-docker-secrets-");
beforeAll(() => ensureTestImage(), 120_000);
afterAll(() => scratch.cleanup());

const docker = (...args: string[]) => Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });

/**
 * `build` (cached) → `mid` (two builds_in children, so hm commits it as a
 * snapshot) → `hold` and `other`. Both wait for /tmp/go, which the test
 * creates once it has looked at everything the run made so far (a step's
 * container goes when it ends: a quick `other` was gone before the test looked
 * on a loaded machine).
 */
const PIPELINE = irJson(
  [
    {
      key: "build",
      image: TEST_IMAGE,
      cmd: 'echo "build sees $TOKEN" && echo built > out.txt',
      cache: { policy: "forever", key: "build-key" },
    },
    { key: "mid", cmd: 'echo "mid sees $TOKEN" && cat out.txt' },
    { key: "hold", cmd: 'echo waiting; until [ -f /tmp/go ]; do sleep 0.1; done; echo "hold sees $TOKEN"' },
    {
      key: "other",
      // The value's first 6 characters, then the rest in a later write: one line, read in two chunks.
      cmd: 'echo waiting; until [ -f /tmp/go ]; do sleep 0.1; done; echo "other sees $TOKEN"; printf "split=%s" "$(echo "$TOKEN" | cut -c1-6)"; sleep 0.2; echo "$(echo "$TOKEN" | cut -c7-)-end"',
    },
  ],
  [
    ["build", "mid", "builds_in"],
    ["mid", "hold", "builds_in"],
    ["mid", "other", "builds_in"],
  ],
);

/**
 * What `docker inspect` (and an image's history) says about each id, as one
 * text. A container of a step that just ended may be gone by now: it is left out.
 */
function inspected(kind: "image" | "container", ids: readonly string[]): string {
  return ids
    .map((id) => {
      const out = docker(kind, "inspect", id);
      if (kind === "image") expect(out.exitCode).toBe(0);
      const history = kind === "image" ? docker("history", "--no-trunc", "--format", "{{json .}}", id) : null;
      return out.stdout.toString() + (history?.stdout.toString() ?? "");
    })
    .join("");
}

interface SecretRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly events: JsonEvent[];
  /** Inspect output of the run's snapshots and containers while `hold` and `other` waited, and their ids. */
  readonly during: { readonly text: string; readonly snapshots: number; readonly containers: number };
}

/** `hm run --secret TOKEN` with TOKEN=`value`; while `hold` and `other` wait, inspects what the run made, then lets them go. */
async function runWithSecret(root: string, value: string): Promise<SecretRun> {
  const proc = Bun.spawn(
    [process.execPath, join(REPO_ROOT, "src", "main.ts"), "run", "--format", "json", "--secret", "TOKEN"],
    {
      cwd: root,
      env: { ...baseEnv(), HM_STATE_DIR: join(scratch.path, crypto.randomUUID()), TOKEN: value },
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    },
  );
  const stderr = new Response(proc.stderr).text();
  let stdout = "";
  let runId = "";
  const waiting = new Map<string, boolean>(); // step id of hold and other → has it printed yet
  let during = { text: "", snapshots: 0, containers: 0 };
  const decoder = new TextDecoder();
  for await (const chunk of proc.stdout) {
    stdout += decoder.decode(chunk, { stream: true });
    for (const event of parseEventStream(stdout.slice(0, stdout.lastIndexOf("\n") + 1))) {
      if (event.kind === "build_start") runId = event.run_id;
      if (event.kind === "step_queued" && (event.key === "hold" || event.key === "other"))
        waiting.set(event.step_id, false);
      if (event.kind === "step_log" && waiting.has(event.step_id)) waiting.set(event.step_id, true);
      if (during.containers > 0 || waiting.size < 2 || [...waiting.values()].includes(false)) continue;
      const snapshots = labelled("images", runId);
      const containers = labelled("containers", runId);
      during = {
        text: inspected("image", snapshots) + inspected("container", containers),
        snapshots: snapshots.length,
        containers: containers.length,
      };
      for (const container of containers) docker("exec", container, "touch", "/tmp/go");
    }
  }
  const exitCode = await proc.exited;
  return { exitCode, stdout, stderr: await stderr, events: parseEventStream(stdout), during };
}

test.skipIf(!dockerReady)(
  "a docker step gets the secret in its exec only: no image or container of the run holds it, and a new value still hits the cache",
  async () => {
    const made = scratch.project({ ".hm/ci.ir.json": PIPELINE, "src.txt": "tree\n" });
    const first = "first-Secret-9c1e";
    const one = await runWithSecret(made.root, first);
    expect({ exitCode: one.exitCode, stderr: one.stderr }).toEqual({
      exitCode: 0,
      stderr: expect.any(String),
    });
    for (const key of ["build", "mid", "hold", "other"])
      expect(stepLines(one.events, key)).toContain(`${key} sees ***`);
    // While `hold` and `other` waited: mid's snapshot, and the containers of hold and other (at least).
    expect(stepLines(one.events, "other")).toContain("split=***-end");
    expect(one.during.snapshots).toBeGreaterThanOrEqual(1);
    expect(one.during.containers).toBeGreaterThanOrEqual(2);
    expect(one.during.text).toContain('"ExecIDs"');
    expect(one.during.text).toContain('"Env"');
    expect(one.during.text).not.toContain(first);

    const cacheTags = await projectCacheTags(made.root);
    const workspaceTags = await projectWorkspaceTags(made.root);
    expect(cacheTags).toHaveLength(1);
    expect(workspaceTags).toHaveLength(1);
    const kept = inspected("image", [...cacheTags, ...workspaceTags]);
    expect(kept).toContain("Env");
    expect(kept).not.toContain(first);
    expect(one.stdout + one.stderr).not.toContain(first);

    // A new value is not a new entry: the secret is not part of what an entry stands for.
    const second = "second-Secret-77ab";
    const two = await runWithSecret(made.root, second);
    expect(two.exitCode).toBe(0);
    expect(
      two.events.filter((e) => e.kind === "step_cache_hit").map((e) => e.kind === "step_cache_hit" && e.tag),
    ).toEqual(cacheTags);
    expect(stepLines(two.events, "other")).toContain("other sees ***");
    expect(await projectCacheTags(made.root)).toEqual(cacheTags);
    expect(two.during.text).not.toContain(second);
    expect(two.stdout + two.stderr).not.toContain(second);
    expect(inspected("image", await projectCacheTags(made.root))).not.toContain(second);
  },
  180_000,
);
