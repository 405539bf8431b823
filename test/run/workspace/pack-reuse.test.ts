/**
 * Reusing the project's last archive (src/run/workspace/pack-reuse.ts): whatever the last
 * archive holds, a pack with reuse must write the bytes a pack without it writes for the same
 * tree — a file changed in any way is read again, even when its size and mtime were put back.
 * The trees are made once and left to settle (a file changed within 2 s of a pack is never
 * reused), then each test changes its own tree.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { packWorkspace } from "../../../src/run/workspace/pack.ts";
import { pruneKeptArchives } from "../../../src/run/workspace/pack-reuse.ts";
import { tempDir } from "../../helpers/hm.ts";
import { makeTree } from "./tree.ts";

const scratch = tempDir("hm-pack-reuse-");
afterAll(() => scratch.cleanup());
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(scratch.path, "home") };

const TREE = {
  "a.txt": "alpha\n",
  "src/b.txt": "bravo\n",
  "src/deep/c.txt": "charlie\n",
  "src/link": { link: "b.txt" },
  "empty/": "",
};
const NAMES = ["unchanged", "in-place", "renamed-over", "added-removed", "chmod", "damaged"] as const;
type Name = (typeof NAMES)[number];
const root = (name: Name) => join(scratch.path, "trees", name);
const reuseDir = (name: Name) => join(scratch.path, "reuse", name);
let outputs = 0;

/** One member's content, as GNU tar reads it. */
const memberText = (archive: string, path: string) =>
  Bun.spawnSync(["tar", "-xOf", archive, path]).stdout.toString();

/** Gives `file` the exact timestamps (nanoseconds) of `reference`. */
const copyTimes = (reference: string, file: string) =>
  expect(Bun.spawnSync(["touch", "-r", reference, file]).exitCode).toBe(0);

/** A pack of `name`'s tree: with its reuse directory, or fresh (no reuse), as the oracle. */
async function pack(name: Name, reuse: boolean) {
  const output = join(scratch.path, `out-${++outputs}.tar`);
  const result = await packWorkspace({
    root: root(name),
    pipelineDir: null,
    output,
    env,
    ...(reuse ? { reuseDir: reuseDir(name) } : {}),
  });
  return { output, result, bytes: readFileSync(output) };
}

/** Packs with reuse and checks the bytes against a fresh pack of the same tree. */
async function packChecked(name: Name) {
  const reused = await pack(name, true);
  const fresh = await pack(name, false);
  expect(Buffer.compare(reused.bytes, fresh.bytes)).toBe(0);
  expect(reused.result.paths).toEqual(fresh.result.paths);
  return reused;
}

beforeAll(async () => {
  for (const name of NAMES) makeTree(root(name), TREE);
  // Older than the 2 s margin, so the recording packs below trust every file.
  await Bun.sleep(2_100);
  for (const name of NAMES) await pack(name, true);
});

describe("packWorkspace reusing the last archive", () => {
  test("an unchanged tree gets the last archive itself, the bytes a fresh pack writes", async () => {
    const { output, result } = await packChecked("unchanged");
    expect(result.reused).toEqual({ files: 3, whole: true });
    const kept = join(reuseDir("unchanged"), "archive.tar");
    expect(statSync(output).ino).toBe(statSync(kept).ino);
    expect(statSync(kept).mode & 0o777).toBe(0o444);
    // The run removes its archive; the kept one stays for the next run.
    rmSync(output);
    const again = await packChecked("unchanged");
    expect(again.result.reused.whole).toBe(true);
  });

  test("a file rewritten in place with its size and mtime put back is read again", async () => {
    const file = join(root("in-place"), "src/b.txt");
    const before = statSync(file);
    const reference = join(scratch.path, "in-place-times");
    writeFileSync(reference, "");
    copyTimes(file, reference);
    writeFileSync(file, "BRAVO\n");
    copyTimes(reference, file);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    expect(statSync(file).ino).toBe(before.ino);
    const { output, result } = await packChecked("in-place");
    expect(result.reused).toEqual({ files: 2, whole: false });
    expect(memberText(output, "src/b.txt")).toBe("BRAVO\n");
  });

  test("a file replaced by another of the same size and mtime is read again", async () => {
    const file = join(root("renamed-over"), "a.txt");
    const before = statSync(file);
    const other = join(root("renamed-over"), "..", "renamed-other.txt");
    writeFileSync(other, "ALPHA\n");
    copyTimes(file, other);
    renameSync(other, file);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    const { output, result } = await packChecked("renamed-over");
    expect(result.reused.files).toBe(2);
    expect(memberText(output, "a.txt")).toBe("ALPHA\n");
  });

  test("added and removed entries and a changed symlink: a new archive, the unchanged files copied", async () => {
    const dir = root("added-removed");
    rmSync(join(dir, "src/deep"), { recursive: true });
    writeFileSync(join(dir, "new.txt"), "new\n");
    rmSync(join(dir, "src/link"));
    symlinkSync("../a.txt", join(dir, "src/link"));
    mkdirSync(join(dir, "more"));
    const { result } = await packChecked("added-removed");
    expect(result.reused).toEqual({ files: 2, whole: false });
    // What that pack read is now recorded too, though not trusted until it is 2 s old.
    const next = await packChecked("added-removed");
    expect(next.result.reused).toEqual({ files: 2, whole: false });
  });

  test("a changed mode is seen", async () => {
    chmodSync(join(root("chmod"), "a.txt"), 0o755);
    const { result } = await packChecked("chmod");
    expect(result.reused).toEqual({ files: 2, whole: false });
  });

  test("a damaged index, or an archive that is not the one indexed, is not used", async () => {
    const dir = reuseDir("damaged");
    writeFileSync(join(dir, "index"), "garbage");
    expect((await packChecked("damaged")).result.reused).toEqual({ files: 0, whole: false });
    await Bun.sleep(2_100);
    await pack("damaged", true); // recorded again, trusted
    // Another archive at the kept path (another inode): the index does not describe it.
    const kept = join(dir, "archive.tar");
    const copy = join(dir, "copy.tar");
    writeFileSync(copy, readFileSync(kept));
    rmSync(kept);
    renameSync(copy, kept);
    expect((await packChecked("damaged")).result.reused).toEqual({ files: 0, whole: false });
  });

  test("files changed within 2 s of the pack that recorded them are read again", async () => {
    const dir = join(scratch.path, "trees", "racy");
    makeTree(dir, TREE);
    const reuse = join(scratch.path, "reuse", "racy");
    const first = await packWorkspace({
      root: dir,
      pipelineDir: null,
      output: join(dir, "..", "r1.tar"),
      env,
      reuseDir: reuse,
    });
    expect(first.reused.files).toBe(0);
    const second = await packWorkspace({
      root: dir,
      pipelineDir: null,
      output: join(dir, "..", "r2.tar"),
      env,
      reuseDir: reuse,
    });
    expect(second.reused).toEqual({ files: 0, whole: false });
    // A hard link of the kept archive elsewhere does not stop the next run from replacing it.
    linkSync(join(reuse, "archive.tar"), join(dir, "..", "r3.tar"));
  });

  test("hm gc's pruning: a kept archive whose project is gone, or unused too long, goes; others stay", async () => {
    const state = join(scratch.path, "gc-state");
    const made: string[] = [];
    for (const name of ["live", "gone", "old"]) {
      const dir = join(scratch.path, "gc", name);
      makeTree(dir, { "f.txt": name });
      const reuse = join(state, "packs", name);
      await packWorkspace({
        root: dir,
        pipelineDir: null,
        output: join(scratch.path, `gc-${name}.tar`),
        env,
        reuseDir: reuse,
      });
      made.push(reuse);
    }
    rmSync(join(scratch.path, "gc", "gone"), { recursive: true });
    const longAgo = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    utimesSync(join(state, "packs", "old", "index"), longAgo, longAgo);
    const pruned = pruneKeptArchives(state, 14 * 24 * 3600 * 1000);
    expect(pruned.count).toBe(2);
    expect(pruned.bytes).toBeGreaterThan(0);
    expect(readdirSync(join(state, "packs"))).toEqual(["live"]);
  });
});
