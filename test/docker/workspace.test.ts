/**
 * The docker runner's workspace (issue 17): root steps start from a
 * workspace image (the tree as one layer), reused while the tree is
 * unchanged and made incrementally when it changes; a builds_in child gets
 * back exactly the tree's files its ancestors changed or deleted, keeps
 * their build outputs and mtimes, whether it takes its parent's container
 * (an only child) or starts from a committed snapshot (siblings, cache
 * entries of an earlier tree). Real engine, real runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  dockerProject,
  dockerReady,
  ensureTestImage,
  labelled,
  projectWorkspaceTags,
  runJson,
  TEST_IMAGE,
} from "../helpers/docker.ts";
import { stepLines } from "../helpers/event-schema.ts";
import { tempDir } from "../helpers/hm.ts";
import { irJson, type TestStep } from "../helpers/ir.ts";

const scratch = tempDir("hm-docker-ws-");
afterAll(() => scratch.cleanup());
beforeAll(() => ensureTestImage(), 120_000);

const newState = () => join(scratch.path, crypto.randomUUID());
const step = (key: string, cmd: string, extra: Partial<TestStep> = {}): TestStep => ({ key, cmd, ...extra });

/** Tracked files a parent step then changes, deletes and replaces. */
const TREE = {
  "src/changed.txt": "original\n",
  "src/deleted.txt": "tracked\n",
  "src/dir/inner.txt": "inner\n",
  "src/other/deep.txt": "deep\n",
  "src/kept.txt": "kept\n",
};

/** The parent's damage to the tree, and a build output (out/, untracked) with the mtime it gives it. */
const PARENT =
  "echo modified > src/changed.txt && rm src/deleted.txt && rm -rf src/dir && rm -rf src/other && echo file > src/other && " +
  "mkdir -p out && echo built > out/obj && touch -d '2001-02-03 04:05:06' out/obj && echo parent-done";
/** What a child prints: the tree's files as they stand, the output and its mtime, and an unchanged file's mtime. */
const CHILD =
  "cat src/changed.txt src/deleted.txt src/dir/inner.txt src/other/deep.txt && cat out/obj && stat -c %Y out/obj && " +
  'test "$(stat -c %Y src/kept.txt)" = 1000000000 && echo kept-mtime';
const EXPECTED_CHILD = [
  "original",
  "tracked",
  "inner",
  "deep",
  "built",
  String(Date.UTC(2001, 1, 3, 4, 5, 6) / 1000),
  "kept-mtime",
];

function makeTree(root: string): void {
  utimesSync(join(root, "src/kept.txt"), 1_000_000_000, 1_000_000_000);
}

function runIdOf(events: { kind: string; run_id?: string }[]): string {
  const start = events.find((e) => e.kind === "build_start");
  return start?.run_id ?? "";
}

async function layersOf(image: string): Promise<number> {
  const out = Bun.spawnSync(["docker", "image", "inspect", "--format", "{{len .RootFS.Layers}}", image]);
  return Number(out.stdout.toString().trim());
}

describe.skipIf(!dockerReady)("the docker runner's workspace", () => {
  test("an only child takes its parent's container: tracked files come back, outputs and mtimes stay, env does not leak", async () => {
    const project = dockerProject({
      ...TREE,
      ".hm/ci.ir.json": irJson(
        [
          step("parent", `mkdir -p out; sleep 300 & echo $! > out/pid; ${PARENT}`, {
            image: TEST_IMAGE,
            env: { PARENT_ONLY: "leaked" },
          }),
          step(
            "child",
            `${CHILD} && echo "\${PARENT_ONLY:-no-leak}" && (grep -qs "^State:.*[RS]" "/proc/$(cat out/pid)/status" && echo left-running || echo no-leftover) && echo scribble > src/kept.txt`,
          ),
          step("grandchild", "cat src/kept.txt src/changed.txt src/deleted.txt src/dir/inner.txt out/obj"),
        ],
        [
          ["parent", "child", "builds_in"],
          ["child", "grandchild", "builds_in"],
        ],
      ),
    });
    makeTree(project.root);
    try {
      const r = await runJson(project.root, [], newState());
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(stepLines(r.events, "child")).toEqual([...EXPECTED_CHILD, "no-leak", "no-leftover"]);
      // The child's change and the parent's are both undone; the parent's output is still there.
      expect(stepLines(r.events, "grandchild")).toEqual(["kept", "original", "tracked", "inner", "built"]);
      // No snapshot was committed: an only child continues in its parent's container.
      const ends = r.events.filter((e) => e.kind === "step_end") as { snapshot: string | null }[];
      expect(ends.every((e) => e.snapshot === null || e.snapshot.startsWith("hm-held/"))).toBe(true);
      expect(labelled("containers", runIdOf(r.events))).toEqual([]);
      expect(labelled("images", runIdOf(r.events))).toEqual([]);
    } finally {
      await project.cleanup();
    }
  }, 120_000);

  test("siblings from a committed snapshot get back the same files, and a grandchild those both generations changed", async () => {
    const project = dockerProject({
      ...TREE,
      ".hm/ci.ir.json": irJson(
        [
          step("parent", PARENT, { image: TEST_IMAGE }),
          step("left", `${CHILD} && echo left-was-here > src/kept.txt && echo left > side.txt`),
          step("right", `${CHILD} && test ! -e side.txt && echo right-clean`),
          step("below", "cat src/kept.txt src/changed.txt && test ! -e side2 && echo below-done"),
          step("beside", "echo x > side2"),
        ],
        [
          ["parent", "left", "builds_in"],
          ["parent", "right", "builds_in"],
          ["left", "below", "builds_in"],
          ["left", "beside", "builds_in"],
        ],
      ),
    });
    makeTree(project.root);
    try {
      const r = await runJson(project.root, [], newState());
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(stepLines(r.events, "left")).toEqual(EXPECTED_CHILD);
      expect(stepLines(r.events, "right")).toEqual([...EXPECTED_CHILD, "right-clean"]);
      expect(stepLines(r.events, "below")).toEqual(["kept", "original", "below-done"]);
      expect(labelled("containers", runIdOf(r.events))).toEqual([]);
      expect(labelled("images", runIdOf(r.events))).toEqual([]);
    } finally {
      await project.cleanup();
    }
  }, 120_000);

  test("an unchanged tree reuses its workspace image; a changed one gets one more layer with the change, and deletions hold", async () => {
    const project = dockerProject({
      ...TREE,
      ".hm/ci.ir.json": irJson([
        step("look", "cat src/changed.txt; ls src; if test -d src/kept.txt; then ls src/kept.txt; fi", {
          image: TEST_IMAGE,
        }),
      ]),
    });
    const state = newState();
    try {
      const first = await runJson(project.root, [], state);
      expect(first.exitCode).toBe(0);
      expect(stepLines(first.events, "look")).toEqual([
        "original",
        "changed.txt",
        "deleted.txt",
        "dir",
        "kept.txt",
        "other",
      ]);
      const [made] = await projectWorkspaceTags(project.root);
      expect(made).toBeDefined();
      const base = await layersOf(TEST_IMAGE);
      expect(await layersOf(made as string)).toBe(base + 1);

      const again = await runJson(project.root, [], state);
      expect(again.exitCode).toBe(0);
      expect(await projectWorkspaceTags(project.root)).toEqual([made as string]);

      // Change one file, delete one, remove a directory, turn a file into a directory.
      writeFileSync(join(project.root, "src/changed.txt"), "second\n");
      rmSync(join(project.root, "src/deleted.txt"));
      rmSync(join(project.root, "src/dir"), { recursive: true });
      rmSync(join(project.root, "src/kept.txt"));
      mkdirSync(join(project.root, "src/kept.txt"));
      writeFileSync(join(project.root, "src/kept.txt/now-a-dir"), "");
      const changed = await runJson(project.root, [], state);
      expect(changed.exitCode).toBe(0);
      expect(stepLines(changed.events, "look")).toEqual([
        "second",
        "changed.txt",
        "kept.txt",
        "other",
        "now-a-dir",
      ]);
      const tags = await projectWorkspaceTags(project.root);
      expect(tags).toHaveLength(2); // the earlier one stays while it may still be in use
      const incremental = tags.find((t) => t !== made) as string;
      expect(await layersOf(incremental)).toBe(base + 2);
    } finally {
      await project.cleanup();
    }
  }, 120_000);

  test("a cached parent of an earlier tree: its child sees the tree as it stands now, with or without hm's index of the old tree", async () => {
    const key = crypto.randomUUID().replaceAll("-", "");
    const project = dockerProject({
      ...TREE,
      ".hm/ci.ir.json": irJson(
        [
          step("deps", "echo installing && echo dep > deps.txt && echo scribble > src/kept.txt", {
            image: TEST_IMAGE,
            cache: { policy: "forever", key },
          }),
          step("check", "cat deps.txt src/kept.txt src/changed.txt; ls src"),
        ],
        [["deps", "check", "builds_in"]],
      ),
    });
    const state = newState();
    try {
      const first = await runJson(project.root, [], state);
      expect(first.exitCode).toBe(0);
      expect(stepLines(first.events, "check")).toEqual([
        "dep",
        "kept",
        "original",
        "changed.txt",
        "deleted.txt",
        "dir",
        "kept.txt",
        "other",
      ]);

      writeFileSync(join(project.root, "src/changed.txt"), "second\n");
      rmSync(join(project.root, "src/deleted.txt"));
      writeFileSync(join(project.root, "src/added.txt"), "added\n");
      const expected = ["dep", "kept", "second", "added.txt", "changed.txt", "dir", "kept.txt", "other"];
      const second = await runJson(project.root, [], state);
      expect(second.exitCode).toBe(0);
      expect(second.events.filter((e) => e.kind === "step_cache_hit")).toHaveLength(1);
      expect(stepLines(second.events, "check")).toEqual(expected);

      // Another state directory has no index of the old tree: the whole tree is put back, deletions still hold.
      writeFileSync(join(project.root, "src/changed.txt"), "third\n");
      rmSync(join(project.root, "src/added.txt"));
      const third = await runJson(project.root, [], newState());
      expect(third.exitCode).toBe(0);
      expect(third.events.filter((e) => e.kind === "step_cache_hit")).toHaveLength(1);
      expect(stepLines(third.events, "check")).toEqual([
        "dep",
        "kept",
        "third",
        "changed.txt",
        "dir",
        "kept.txt",
        "other",
      ]);
    } finally {
      await project.cleanup();
    }
  }, 180_000);

  test("a step that closes its output before it ends: the verdict waits for its exit code", async () => {
    const project = dockerProject({
      ".hm/ci.ir.json": irJson([
        step("quiet-fail", "echo closing; exec >/dev/null 2>&1; sleep 2; exit 3", { image: TEST_IMAGE }),
        step("quiet-pass", "echo closing; exec >/dev/null 2>&1; sleep 2; true", { image: TEST_IMAGE }),
      ]),
    });
    try {
      const r = await runJson(project.root, ["-k"], newState());
      expect(r.exitCode).toBe(1);
      const ends = r.events.filter((e) => e.kind === "step_end") as {
        exit_code: number;
        duration_ms: number;
      }[];
      expect(ends.map((e) => e.exit_code).sort()).toEqual([0, 3]);
    } finally {
      await project.cleanup();
    }
  }, 120_000);

  test("a big tree's chain: a step that changed nothing hands over as is; one that rewrote a file and set its mtime back is still caught", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 6000; i++) files[`src/d${i % 60}/f${i}.txt`] = `file ${i}\n`;
    const project = dockerProject({
      ...files,
      ".hm/ci.ir.json": irJson(
        [
          step("read", "cat src/d1/f1.txt", { image: TEST_IMAGE }),
          step(
            "sneaky",
            "echo evil > src/d1/f1.txt && touch -d '2000-01-01 00:00:00' src/d1/f1.txt && rm src/d2/f2.txt",
          ),
          step("still-read", "cat src/d1/f1.txt src/d2/f2.txt"),
          step("after", "cat src/d1/f1.txt src/d2/f2.txt && find src -type f | wc -l"),
        ],
        [
          ["read", "sneaky", "builds_in"],
          ["sneaky", "still-read", "builds_in"],
          ["still-read", "after", "builds_in"],
        ],
      ),
    });
    try {
      const r = await runJson(project.root, [], newState());
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(stepLines(r.events, "still-read")).toEqual(["file 1", "file 2"]);
      expect(stepLines(r.events, "after").map((l) => l.trim())).toEqual(["file 1", "file 2", "6000"]);
    } finally {
      await project.cleanup();
    }
  }, 180_000);

  test("steps run scripts kept in .hm/scripts/, and the next run sees a changed script", async () => {
    const project = dockerProject({
      ".hm/scripts/check.sh": "echo check v1\n",
      ".hm/ci.ir.json": irJson([
        step("check", "sh .hm/scripts/check.sh && test ! -e .hm/ci.ir.json && echo no-pipeline-file", {
          image: TEST_IMAGE,
        }),
      ]),
    });
    try {
      const state = newState();
      const first = await runJson(project.root, [], state);
      expect(first.exitCode).toBe(0);
      expect(stepLines(first.events, "check")).toEqual(["check v1", "no-pipeline-file"]);
      writeFileSync(join(project.root, ".hm/scripts/check.sh"), "echo check v2 && exit 3\n");
      const second = await runJson(project.root, [], state);
      expect(stepLines(second.events, "check")).toEqual(["check v2"]);
      expect(second.exitCode).toBe(1);
    } finally {
      await project.cleanup();
    }
  }, 120_000);
});
