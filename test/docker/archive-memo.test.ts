/**
 * The tree id kept beside the kept archive (src/docker/archive-memo.ts): the docker runner
 * takes it instead of hashing the archive only when the memo names the very file it maps
 * (device, inode, birth time, size, mtime). A tree that changed, even with sizes and mtimes put
 * back, must never run on the old tree's id: real files, then real runs on the real engine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { linkSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { identityOf } from "../../src/docker/archive-memo.ts";
import { hash128, readWorkspaceTree } from "../../src/docker/workspace-tree.ts";
import {
  dockerProject,
  dockerReady,
  ensureTestImage,
  projectWorkspaceTags,
  runJson,
  TEST_IMAGE,
} from "../helpers/docker.ts";
import { stepLines } from "../helpers/event-schema.ts";
import { tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";

const scratch = tempDir("hm-archive-memo-");
afterAll(() => scratch.cleanup());

const BOGUS = "0123456789abcdef0123456789abcdef";
let files = 0;
/** A new file (not a tar: the id is a hash of whatever bytes the archive holds). */
function newFile(content: string): string {
  const path = join(scratch.path, `archive-${++files}.tar`);
  writeFileSync(path, content, { mode: 0o444 });
  return path;
}
/** A memo file's content, or the text of one. */
const readMemo = (pathOrText: string) =>
  JSON.parse(pathOrText.startsWith("{") ? pathOrText : readFileSync(pathOrText, "utf8")) as {
    format: number;
    treeId: string;
    archive: unknown;
  };
/** A memo of `id` for the file at `path` as it is now, with `change` applied to its identity. */
function writeMemo(memo: string, path: string, id: string, change: Record<string, number> = {}): void {
  writeFileSync(memo, JSON.stringify({ format: 1, archive: { ...identityOf(path), ...change }, treeId: id }));
}

describe("readWorkspaceTree with a memo", () => {
  test("the id computed is kept, naming the file; a hard link of that file takes it from the memo", () => {
    const archive = newFile("first tree");
    const memo = join(scratch.path, "memo-kept");
    const tree = readWorkspaceTree(archive, memo);
    expect(tree.id).toBe(hash128(new TextEncoder().encode("first tree")));
    expect(readMemo(memo)).toEqual({ format: 1, archive: identityOf(archive), treeId: tree.id });
    // The memo is what answers for the same file (a bogus id shows it is not re-hashed).
    writeMemo(memo, archive, BOGUS);
    const link = join(scratch.path, "linked.tar");
    linkSync(archive, link);
    expect(readWorkspaceTree(link, memo).id).toBe(BOGUS);
  });

  test("another file at the path, of the same size and mtime, is hashed again and its id kept", () => {
    const archive = newFile("tree AAAA");
    const memo = join(scratch.path, "memo-replaced");
    writeMemo(memo, archive, BOGUS);
    const other = newFile("tree BBBB");
    Bun.spawnSync(["touch", "-r", archive, other]);
    renameSync(other, archive);
    expect(statSync(archive).size).toBe("tree AAAA".length);
    expect(readWorkspaceTree(archive, memo).id).toBe(hash128(new TextEncoder().encode("tree BBBB")));
    expect(readMemo(memo).archive).toEqual(identityOf(archive));
  });

  test("a memo that differs in any one of device, inode, birth time, size or mtime is not used", () => {
    const archive = newFile("tree C");
    const real = hash128(new TextEncoder().encode("tree C"));
    const identity = identityOf(archive);
    expect(identity).not.toBeNull();
    for (const field of ["dev", "ino", "birthtimeMs", "size", "mtimeMs"] as const) {
      const memo = join(scratch.path, `memo-${field}`);
      writeMemo(memo, archive, BOGUS, { [field]: (identity?.[field] ?? 0) + 1 });
      expect(readWorkspaceTree(archive, memo).id).toBe(real);
    }
  });

  test("a damaged memo, or none, costs only the hash", () => {
    const archive = newFile("tree D");
    const real = hash128(new TextEncoder().encode("tree D"));
    const memo = join(scratch.path, "memo-damaged");
    writeFileSync(memo, "{not json");
    expect(readWorkspaceTree(archive, memo).id).toBe(real);
    expect(readWorkspaceTree(archive, join(scratch.path, "no-such-dir", "memo")).id).toBe(real);
    expect(readWorkspaceTree(archive).id).toBe(real);
  });
});

/** The kept archive's memo under `state` (one project, one pipeline directory). */
function memoOf(state: string): string {
  const [key] = readdirSync(join(state, "packs"));
  return join(state, "packs", key as string, "memo");
}

describe.skipIf(!dockerReady)("the docker runner's warm path with the memo", () => {
  beforeAll(() => ensureTestImage(), 120_000);

  test("an unchanged tree's run takes the tree id from the memo; a file changed with its size and mtime put back runs on the new content", async () => {
    const project = dockerProject({
      "src/file.txt": "before\n",
      "src/other.txt": "other\n",
      ".hm/ci.ir.json": irJson([{ key: "look", cmd: "cat src/file.txt src/other.txt", image: TEST_IMAGE }]),
    });
    const state = join(scratch.path, crypto.randomUUID());
    const file = join(project.root, "src/file.txt");
    const look = async () => {
      const run = await runJson(project.root, [], state);
      expect(run.exitCode).toBe(0);
      return stepLines(run.events, "look");
    };
    try {
      // Past the 2 s margin, so that the first run's pack trusts every file and the next reuses it whole.
      await Bun.sleep(2_100);
      expect(await look()).toEqual(["before", "other"]);
      const memo = memoOf(state);
      const [made] = await projectWorkspaceTags(project.root);
      expect(made?.endsWith(`-${readMemo(memo).treeId}`)).toBe(true);

      // The warm run names its workspace image after the memo's id: it did not hash the archive.
      const kept = readFileSync(memo, "utf8");
      writeFileSync(memo, kept.replace(readMemo(memo).treeId, BOGUS));
      expect(await look()).toEqual(["before", "other"]);
      expect((await projectWorkspaceTags(project.root)).some((tag) => tag.endsWith(`-${BOGUS}`))).toBe(true);
      writeFileSync(memo, kept);

      // Same size, mtime put back: the pack reads it again, so the archive is another file.
      const times = join(scratch.path, `times-${crypto.randomUUID()}`);
      writeFileSync(times, "");
      Bun.spawnSync(["touch", "-r", file, times]);
      writeFileSync(file, "AFTER!\n");
      Bun.spawnSync(["touch", "-r", times, file]);
      await Bun.sleep(2_100); // so that the next run's archive is reused whole by the one after
      expect(await look()).toEqual(["AFTER!", "other"]);
      expect(readMemo(memo).treeId).not.toBe(readMemo(kept).treeId);
      // The earlier archive's memo back (as a run of the old tree finishing late would leave it):
      // the warm run after it reuses the new archive whole, and must not take the old id.
      writeFileSync(memo, kept);
      expect(await look()).toEqual(["AFTER!", "other"]);
    } finally {
      await project.cleanup();
    }
  }, 120_000);
});
