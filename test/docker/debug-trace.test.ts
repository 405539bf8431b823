/**
 * `--debug-trace` on the docker runner (`docs/design.md`, "Tracing"): each
 * step's container work (workspace image, create, start, restore, exec,
 * wait, commit, remove) as spans on the step's own track, inside the step.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { dockerProject, dockerReady, ensureTestImage, TEST_IMAGE } from "../helpers/docker.ts";
import { runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { only, readTrace, type SpanEvent, within } from "../helpers/trace-file.ts";

const scratch = tempDir("hm-docker-trace-");
afterAll(() => scratch.cleanup());
beforeAll(() => ensureTestImage(), 120_000);

describe.skipIf(!dockerReady)("--debug-trace with the docker runner", () => {
  test("each step's container calls sit on its track, inside its span; siblings on their own tracks", async () => {
    const project = dockerProject({
      ".hm/ci.ir.json": irJson(
        [
          { key: "parent", cmd: "echo made > made.txt", image: TEST_IMAGE },
          { key: "left", cmd: "cat made.txt" },
          { key: "right", cmd: "cat made.txt; exit 4" },
        ],
        [
          ["parent", "left", "builds_in"],
          ["parent", "right", "builds_in"],
        ],
      ),
      "src/input.txt": "tree\n",
    });
    try {
      const trace = join(scratch.path, `${crypto.randomUUID()}.json`);
      const r = await runHm(["run", "--format", "json", "--keep-going", "--debug-trace", trace], {
        cwd: project.root,
        env: { HM_STATE_DIR: join(scratch.path, crypto.randomUUID()) },
      });
      expect(r.exitCode).toBe(1);
      const t = readTrace(trace);
      const build = only(t, "build");
      const onTrackOf = (step: SpanEvent, name: string) =>
        t.spans.filter((s) => s.pid === step.pid && s.tid === step.tid && s.name === name);
      const steps = ["parent", "left", "right"].map((key) => only(t, `step ${key}`));
      const [parent, left, right] = steps as [SpanEvent, SpanEvent, SpanEvent];
      expect(new Set(steps.map((s) => s.tid)).size).toBe(3);
      for (const step of steps) {
        expect(within(step, build)).toBe(true);
        expect(step.args.runner).toBe("docker");
        for (const name of ["container exec", "container wait"]) {
          const spans = onTrackOf(step, name);
          expect(spans).toHaveLength(1);
          expect(within(spans[0] as SpanEvent, step)).toBe(true);
        }
      }
      expect(parent.args).toMatchObject({ outcome: "passed", exit_code: 0 });
      expect(right.args).toMatchObject({ outcome: "failed", exit_code: 4 });
      // The root step: the workspace image, its container made and started, committed for two children.
      for (const name of [
        "workspace image",
        "container create",
        "container start",
        "record state",
        "container commit",
      ])
        expect(onTrackOf(parent, name)).toHaveLength(1);
      // The first child takes the parent's container; the other starts one from the snapshot; both restore.
      const created = [left, right].filter((s) => onTrackOf(s, "container create").length === 1);
      expect(created).toHaveLength(1);
      for (const child of [left, right]) {
        expect(onTrackOf(child, "restore workspace")).toHaveLength(1);
        expect(onTrackOf(child, "container remove")).toHaveLength(1);
      }
      only(t, "connect runner docker");
      only(t, "docker: remove the run's leftovers");
    } finally {
      await project.cleanup();
    }
  }, 120_000);
});
