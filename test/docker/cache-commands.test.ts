/**
 * `hm cache ls|save|restore|clean` against the real engine, on cache images
 * real `hm run`s made in projects of the test's own. They act on one project
 * (`-d`), so the tests never touch the cache of whoever runs them; `--all` is
 * exercised only where it reads (ls, save).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type CacheImage, selectUnused } from "../../src/docker/cache-store.ts";
import { projectIdentity } from "../../src/pipeline/project-identity.ts";
import {
  cacheScratch,
  dockerReady,
  ensureTestImage,
  projectCacheTags,
  removeProjectCache,
  runJson,
  TEST_IMAGE,
} from "../helpers/docker.ts";
import { stepLines } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT, runHm } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";

const scratch = cacheScratch("hm-cache-cmd-");
beforeAll(() => ensureTestImage(), 120_000);
afterAll(() => scratch.cleanup());

const docker = (...args: string[]) => Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });
const hm = (args: string[]) => runHm(args, { env: { HM_STATE_DIR: join(scratch.path, "state") } });
const run = (root: string) => runJson(root, [], join(scratch.path, crypto.randomUUID()));

/** A project with two cached steps on one base image (their layers shared), and a child of the first. */
function cachedProject(marker = "cached") {
  const project = scratch.project({
    ".hm/ci.ir.json": irJson(
      [
        {
          key: "deps",
          cmd: `echo installing && echo ${marker} > deps.txt`,
          image: TEST_IMAGE,
          cache: { policy: "forever", key: "deps-key" },
        },
        {
          key: "tools",
          cmd: "echo tools > /tools.txt",
          image: TEST_IMAGE,
          cache: { policy: "forever", key: "t" },
        },
        { key: "check", cmd: "cat deps.txt" },
      ],
      [["deps", "check", "builds_in"]],
    ),
  });
  return project;
}

function imageId(tag: string): string {
  return docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.toString().trim();
}

describe.skipIf(!dockerReady)("hm cache", () => {
  test("ls, save, clean, restore act on one project; the next run hits the restored entries", async () => {
    const project = cachedProject();
    const other = cachedProject("other");
    expect((await run(project.root)).exitCode).toBe(0);
    expect((await run(other.root)).exitCode).toBe(0);
    const tags = await projectCacheTags(project.root);
    const otherTags = await projectCacheTags(other.root);
    expect(tags).toHaveLength(2);
    const { id } = await projectIdentity(project.root);

    const ls = await hm(["cache", "ls", "-d", project.root]);
    expect(ls.exitCode).toBe(0);
    expect(ls.stderr).toBe(`2 cache images of project ${project.root} (${id})\n`);
    const lines = ls.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^STEP +KEY +ENTRY +SIZE +LAST USED$/);
    expect(lines.slice(1).map((l) => l.split(/ +/).slice(0, 2))).toEqual([
      ["deps", "deps-key"],
      ["tools", "t"],
    ]);

    const saved = join(scratch.path, "saved");
    const save = await hm(["cache", "save", saved, "-d", project.root]);
    expect(save.exitCode).toBe(0);
    const hash = save.stdout.trim();
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    const written = readFileSync(join(saved, "manifest.json"), "utf8").trim();
    expect(hash).toBe(new Bun.CryptoHasher("sha256").update(written).digest("hex").slice(0, 16));
    const manifest = JSON.parse(written);
    expect(manifest.version).toBe(2);
    expect(Object.keys(manifest.images)).toEqual(tags);
    expect(readdirSync(saved).sort()).toEqual([manifest.archive, "manifest.json"].sort());

    // Shared layers once: one archive, smaller than the images saved one by one.
    let separately = 0;
    for (const tag of tags) {
      const one = join(scratch.path, "one.tar");
      expect(docker("save", "-o", one, tag).exitCode).toBe(0);
      separately += statSync(one).size;
    }
    expect(statSync(join(saved, manifest.archive)).size).toBeLessThan(separately * 0.75);

    // A stray tar goes; a second save writes nothing new and gives the same hash.
    writeFileSync(join(saved, "stale--0123456789abcdef.tar"), "old");
    const again = await hm(["cache", "save", saved, "-d", project.root]);
    expect(again.stdout.trim()).toBe(hash);
    expect(again.stderr).toContain("archive unchanged, 1 stale files removed");
    expect(existsSync(join(saved, "stale--0123456789abcdef.tar"))).toBe(false);

    const clean = await hm(["cache", "clean", "-d", project.root]);
    expect(clean.exitCode).toBe(0);
    expect(clean.stderr).toMatch(
      /^removed 2 cache images and 1 workspace image of project .* \(\d+(\.\d)? [KMG]?B\)\n$/,
    );
    expect(await projectCacheTags(project.root)).toEqual([]);
    expect(await projectCacheTags(other.root)).toEqual(otherTags);
    expect((await hm(["cache", "clean", "-d", project.root])).stderr).toStartWith("nothing to clean");

    const restore = await hm(["cache", "restore", saved, "-d", project.root]);
    expect(restore.exitCode).toBe(0);
    expect(restore.stderr).toBe(
      `restored 2/2 images of project ${project.root} (${id}) (0 already present)\n`,
    );
    expect(await projectCacheTags(project.root)).toEqual(tags);
    expect((await hm(["cache", "restore", saved, "-d", project.root])).stderr).toContain(
      "restored 0/2 images",
    );

    const second = await run(project.root);
    expect(second.exitCode).toBe(0);
    expect(second.events.filter((e) => e.kind === "step_cache_hit").length).toBe(2);
    expect(stepLines(second.events, "check")).toEqual(["cached"]);
  }, 180_000);

  test("--all lists and saves every project's entries and says so", async () => {
    const a = cachedProject("a");
    const b = cachedProject("b");
    expect((await run(a.root)).exitCode).toBe(0);
    expect((await run(b.root)).exitCode).toBe(0);
    const ls = await hm(["cache", "ls", "--all"]);
    expect(ls.exitCode).toBe(0);
    expect(ls.stderr).toMatch(/^\d+ cache images of all projects\n$/);
    expect(ls.stdout.split("\n")[0]).toMatch(/^PROJECT +STEP/);
    expect(ls.stdout).toContain(a.root);
    expect(ls.stdout).toContain(b.root);
    const dir = join(scratch.path, "all");
    const save = await hm(["cache", "save", dir, "--all"]);
    expect(save.exitCode).toBe(0);
    expect(save.stderr).toContain("of all projects");
    const images = Object.keys(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).images);
    for (const tag of [...(await projectCacheTags(a.root)), ...(await projectCacheTags(b.root))])
      expect(images).toContain(tag);
  }, 180_000);

  test("restore refuses another project's directory, and loads nothing", async () => {
    const mine = cachedProject("mine");
    const theirs = cachedProject("theirs");
    expect((await run(mine.root)).exitCode).toBe(0);
    const dir = join(scratch.path, "mine");
    expect((await hm(["cache", "save", dir, "-d", mine.root])).exitCode).toBe(0);
    const r = await hm(["cache", "restore", dir, "-d", theirs.root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("a cache image of another project");
    expect(r.stderr).toContain("nothing was loaded");
    expect(await projectCacheTags(theirs.root)).toEqual([]);
  }, 120_000);

  test("restore checks every name in the archive first: an extra tag is refused and nothing is retagged", async () => {
    const project = cachedProject("x");
    expect((await run(project.root)).exitCode).toBe(0);
    const dir = join(scratch.path, "extra-tag");
    expect((await hm(["cache", "save", dir, "-d", project.root])).exitCode).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    // The victim: an image name of the test's own, pointing at TEST_IMAGE; the archive would point it elsewhere.
    const victim = `hm-test/victim-${crypto.randomUUID().slice(0, 8)}:1`;
    scratch.ownImage(victim);
    const [firstTag] = Object.keys(manifest.images) as [string];
    expect(docker("tag", firstTag, victim).exitCode).toBe(0);
    expect(
      docker("save", "-o", join(dir, manifest.archive), ...Object.keys(manifest.images), victim).exitCode,
    ).toBe(0);
    expect(docker("tag", TEST_IMAGE, victim).exitCode).toBe(0);
    await removeProjectCache(project.root);

    const r = await hm(["cache", "restore", dir, "-d", project.root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`would create the image '${victim}', which is not a step-cache image`);
    expect(imageId(victim)).toBe(imageId(TEST_IMAGE));
    expect(await projectCacheTags(project.root)).toEqual([]);
  }, 120_000);

  test("restore reads only regular files: an archive that is a symlink to /dev/zero is refused at once", async () => {
    const project = cachedProject("z");
    expect((await run(project.root)).exitCode).toBe(0);
    const dir = join(scratch.path, "zero");
    expect((await hm(["cache", "save", dir, "-d", project.root])).exitCode).toBe(0);
    const { archive } = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    Bun.spawnSync(["rm", join(dir, archive)]);
    symlinkSync("/dev/zero", join(dir, archive));
    await removeProjectCache(project.root);
    const r = await hm(["cache", "restore", dir, "-d", project.root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`cannot restore from ${join(dir, archive)}: not a regular file`);
  }, 120_000);

  test("a directory an earlier hm wrote (version 1) is recognised and not loaded; tars without a manifest are refused", async () => {
    const legacy = join(scratch.path, "legacy");
    mkdirSync(legacy, { recursive: true });
    writeFileSync(
      join(legacy, "manifest.json"),
      JSON.stringify({ version: 1, images: { "a--b.tar": "hm-cache/a:b" } }),
    );
    writeFileSync(join(legacy, "a--b.tar"), "not loaded");
    const r = await hm(["cache", "restore", legacy]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("restored 0/1 images: ");
    expect(r.stderr).toContain("written by an earlier hm (manifest version 1)");

    const bare = join(scratch.path, "bare");
    mkdirSync(bare, { recursive: true });
    writeFileSync(join(bare, "x--y.tar"), "?");
    const noManifest = await hm(["cache", "restore", bare]);
    expect(noManifest.exitCode).toBe(2);
    expect(noManifest.stderr).toContain(`${bare} holds 1 tar files but no manifest.json`);
  });

  test("restore of a missing directory restores nothing; a broken manifest names the file and field", async () => {
    const missing = await hm(["cache", "restore", join(scratch.path, "never-saved")]);
    expect(missing.exitCode).toBe(0);
    expect(missing.stderr).toBe("restored 0/0 images (cache dir missing)\n");

    const dir = join(scratch.path, "broken");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "manifest.json"),
      JSON.stringify({ version: 2, archive: "../x.tar", images: { "ubuntu:24.04": "sha256:x" } }),
    );
    const r = await hm(["cache", "restore", dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${join(dir, "manifest.json")}: archive: not images-<hash>.tar`);
  });

  test("a file where the cache directory should be: exit 2 naming it, for save and restore", async () => {
    const file = join(scratch.path, "not-a-dir");
    writeFileSync(file, "x");
    const project = cachedProject();
    for (const command of ["save", "restore"]) {
      const r = await hm(["cache", command, file, "-d", project.root]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`cannot use ${file} as a cache directory`);
      expect(r.stderr).toContain("→ give a directory path");
    }
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  test("--older-than-days must be a number; an empty value (an unset variable) is not 0", async () => {
    const project = cachedProject();
    const r = await hm(["cache", "clean", "--older-than-days", "soon", "-d", project.root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--older-than-days must be a number of days ≥ 0, got 'soon'");
    const empty = await hm(["cache", "clean", "--older-than-days=", "-d", project.root]);
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain("got ''");
  });

  test.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s during a save: exit %d, no .partial file left",
    async (signal, code) => {
      // A cache image of the test's project big enough (200 MB) that the export is still running when the signal comes.
      const project = cachedProject();
      const { id } = await projectIdentity(project.root);
      const tag = `hm-cache/${id}/big:0123456789abcdef`;
      const maker = `hm-test-big-${crypto.randomUUID().slice(0, 8)}`;
      try {
        expect(
          docker("run", "--name", maker, TEST_IMAGE, "sh", "-c", "head -c 200000000 /dev/urandom > /big")
            .exitCode,
        ).toBe(0);
        expect(docker("commit", maker, tag).exitCode).toBe(0);
      } finally {
        docker("rm", "-f", maker);
      }
      const dir = join(scratch.path, `stopped-${signal}`);
      const proc = Bun.spawn(
        [process.execPath, join(REPO_ROOT, "src", "main.ts"), "cache", "save", dir, "-d", project.root],
        { env: { ...baseEnv(), HM_STATE_DIR: join(scratch.path, "state") }, stdout: "pipe", stderr: "pipe" },
      );
      const partial = () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".partial")) : []);
      // However long a loaded machine takes to start hm and the export (4 s was not always enough).
      while (partial().length === 0 && proc.exitCode === null) await Bun.sleep(10);
      expect(partial().length).toBe(1);
      proc.kill(signal);
      expect(await proc.exited).toBe(code);
      expect(partial()).toEqual([]);
    },
    120_000,
  );

  test("a save killed mid-write leaves a .partial file; the next save removes it", async () => {
    const project = cachedProject();
    const dir = join(scratch.path, "interrupted");
    mkdirSync(dir, { recursive: true });
    // pid 2^22 + 1 is above Linux's default pid_max: no live process owns this file.
    writeFileSync(join(dir, "images-0123456789abcdef.tar.4194305.partial"), "half");
    const save = await hm(["cache", "save", dir, "-d", project.root]);
    expect(save.exitCode).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith(".partial"))).toEqual([]);
  }, 120_000);
});

test("clean --older-than-days picks images by when a run last used them, not when they were made", () => {
  const now = 1_000_000_000;
  const image = (tag: string, created: number, lastUsed: number): CacheImage => ({
    tag,
    id: tag,
    size: 1,
    created,
    projectId: null,
    projectRoot: null,
    step: tag,
    cacheKey: null,
    lastUsed,
  });
  const old = image("old-unused", now - 30 * 86_400, now - 20 * 86_400);
  const oldButHit = image("old-hit-today", now - 30 * 86_400, now - 3600);
  expect(selectUnused([old, oldButHit], 7, now).map((i) => i.tag)).toEqual(["old-unused"]);
  expect(selectUnused([old, oldButHit], undefined, now)).toHaveLength(2);
});
