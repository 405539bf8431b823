/**
 * `hm cache save|restore|clean` against the real engine, on a cache image a
 * real `hm run` made: saved, cleaned away, restored, and hit by the next run.
 * `hm cache clean` removes every `hm-cache/` image on the engine; the tests'
 * engine holds no cache worth keeping.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dockerReady, ensureTestImage, runJson, TEST_IMAGE, tagsUnder } from "../helpers/docker.ts";
import { stepLines } from "../helpers/event-schema.ts";
import { baseEnv, REPO_ROOT, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-cache-cmd-");
afterAll(() => scratch.cleanup());
beforeAll(() => ensureTestImage(), 120_000);

const cacheKey = crypto.randomUUID().replaceAll("-", "");
const tag = `hm-cache/deps:${cacheKey.slice(0, 16)}`;
const file = `deps--${cacheKey.slice(0, 16)}.tar`;

function cachedProject() {
  return makeProject({
    ".hm/ci.ir.json": irJson(
      [
        {
          key: "deps",
          cmd: "echo installing && echo cached > deps.txt",
          image: TEST_IMAGE,
          cache: { policy: "forever", key: cacheKey },
        },
        { key: "check", cmd: "cat deps.txt" },
      ],
      [["deps", "check", "builds_in"]],
    ),
  });
}

const hm = (args: string[]) => runHm(args, { env: { HM_STATE_DIR: join(scratch.path, "state") } });

describe.skipIf(!dockerReady)("hm cache", () => {
  test("save, clean, restore: the next run hits the restored image", async () => {
    const project = cachedProject();
    const saved = join(scratch.path, "saved");
    const first = await runJson(project.root, [], join(scratch.path, "s1"));
    expect(first.exitCode).toBe(0);
    expect(tagsUnder("hm-cache/")).toContain(tag);

    const save = await hm(["cache", "save", saved]);
    expect(save.exitCode).toBe(0);
    const hash = save.stdout.trim();
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    const manifest = JSON.parse(readFileSync(join(saved, "manifest.json"), "utf8"));
    expect(manifest.version).toBe(1);
    expect(manifest.images[file]).toBe(tag);
    expect(readdirSync(saved).filter((f) => f.endsWith(".partial"))).toEqual([]);
    // What the hash is: the first 8 bytes of SHA-256 of the manifest as written.
    const written = readFileSync(join(saved, "manifest.json"), "utf8").trim();
    expect(hash).toBe(new Bun.CryptoHasher("sha256").update(written).digest("hex").slice(0, 16));

    // A stray tar no image claims goes; a second save exports nothing new and gives the same hash.
    writeFileSync(join(saved, "stale--0123456789abcdef.tar"), "old");
    const again = await hm(["cache", "save", saved]);
    expect(again.stdout.trim()).toBe(hash);
    expect(again.stderr).toContain("saved 0 images");
    expect(again.stderr).toContain("1 stale files removed");
    expect(existsSync(join(saved, "stale--0123456789abcdef.tar"))).toBe(false);

    const clean = await hm(["cache", "clean"]);
    expect(clean.exitCode).toBe(0);
    expect(clean.stderr).toMatch(/^removed \d+ cache images \(\d+(\.\d)? [KMG]?B\)\n$/);
    expect(tagsUnder("hm-cache/")).toEqual([]);
    expect((await hm(["cache", "clean"])).stderr).toBe("nothing to clean\n");

    const total = Object.keys(manifest.images).length;
    const restore = await hm(["cache", "restore", saved]);
    expect(restore.exitCode).toBe(0);
    expect(restore.stderr).toBe(`restored ${total}/${total} images (0 already present)\n`);
    expect(tagsUnder("hm-cache/")).toContain(tag);
    expect((await hm(["cache", "restore", saved])).stderr).toBe(
      `restored 0/${total} images (${total} already present)\n`,
    );

    const second = await runJson(project.root, [], join(scratch.path, "s2"));
    expect(second.exitCode).toBe(0);
    expect(second.events.filter((e) => e.kind === "step_cache_hit").length).toBe(1);
    expect(stepLines(second.events, "deps")).toEqual([]);
    expect(stepLines(second.events, "check")).toEqual(["cached"]);
    Bun.spawnSync(["docker", "rmi", "-f", tag]);
    project.cleanup();
  }, 120_000);

  test("restore of a missing directory restores nothing; a broken manifest names the file and field", async () => {
    const missing = await hm(["cache", "restore", join(scratch.path, "never-saved")]);
    expect(missing.exitCode).toBe(0);
    expect(missing.stderr).toBe("restored 0/0 images (cache dir missing)\n");

    const project = makeProject({
      "manifest.json": JSON.stringify({ version: 1, images: { "a--b.tar": "busybox:1" } }),
    });
    const r = await hm(["cache", "restore", project.root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${join(project.root, "manifest.json")}: images.a--b.tar:`);
    project.cleanup();
  });

  test("a file where the cache directory should be: exit 2 naming it, for save and restore", async () => {
    const file = join(scratch.path, "not-a-dir");
    writeFileSync(file, "x");
    for (const command of ["save", "restore"]) {
      const r = await hm(["cache", command, file]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`cannot use ${file} as a cache directory`);
      expect(r.stderr).toContain("→ give a directory path");
    }
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  test("--older-than-days must be a number; an empty value (an unset variable) is not 0", async () => {
    const r = await hm(["cache", "clean", "--older-than-days", "soon"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--older-than-days must be a number of days ≥ 0, got 'soon'");
    const empty = await hm(["cache", "clean", "--older-than-days="]);
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain("got ''");
  });

  test("a manifest naming a path outside its directory, or a tar without its tag, is refused", async () => {
    const outside = makeProject({
      "manifest.json": JSON.stringify({ version: 1, images: { "../other/x--y.tar": "hm-cache/x:y" } }),
    });
    const escaped = await hm(["cache", "restore", outside.root]);
    expect(escaped.exitCode).toBe(2);
    expect(escaped.stderr).toContain("not a <step>--<key>.tar file name");
    outside.cleanup();

    const mislabelled = makeProject({
      "manifest.json": JSON.stringify({ version: 1, images: { "x--y.tar": "hm-cache/x:y" } }),
    });
    Bun.spawnSync(["docker", "save", "-o", join(mislabelled.root, "x--y.tar"), TEST_IMAGE]);
    const r = await hm(["cache", "restore", mislabelled.root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("did not hold hm-cache/x:y");
    mislabelled.cleanup();
  }, 60_000);

  test("Ctrl-C during a save: exit 130, no .partial file left", async () => {
    // A cache image big enough (200 MB) that the export is still running when the signal comes.
    const tag = `hm-cache/big-${crypto.randomUUID().slice(0, 8)}:1`;
    const maker = `hm-test-big-${crypto.randomUUID().slice(0, 8)}`;
    const docker = (...args: string[]) =>
      Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });
    expect(
      docker("run", "--name", maker, TEST_IMAGE, "sh", "-c", "head -c 200000000 /dev/urandom > /big")
        .exitCode,
    ).toBe(0);
    expect(docker("commit", maker, tag).exitCode).toBe(0);
    docker("rm", maker);
    const dir = join(scratch.path, "ctrl-c");
    try {
      const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "cache", "save", dir], {
        env: { ...baseEnv(), HM_STATE_DIR: join(scratch.path, "state") },
        stdout: "pipe",
        stderr: "pipe",
      });
      const partial = () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".partial")) : []);
      for (let i = 0; i < 400 && partial().length === 0; i++) await Bun.sleep(10);
      expect(partial().length).toBe(1);
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(130);
      expect(partial()).toEqual([]);
    } finally {
      docker("rmi", "-f", tag);
    }
  }, 120_000);

  test("a save killed mid-write leaves a .partial file; the next save removes it", async () => {
    const dir = join(scratch.path, "interrupted");
    mkdirSync(dir, { recursive: true });
    // pid 2^22 + 1 is above Linux's default pid_max: no live process owns this file.
    writeFileSync(join(dir, "deps--0123456789abcdef.tar.4194305.partial"), "half");
    const save = await hm(["cache", "save", dir]);
    expect(save.exitCode).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith(".partial"))).toEqual([]);
  }, 120_000);
});
