/**
 * packWorkspace against GNU tar as the oracle: pack a real tree, extract it
 * with `tar -xpf`, and compare the extracted tree (contents, modes, mtimes,
 * symlink targets) with the source minus what must be left out.
 */
import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statfsSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { packWorkspace } from "../../../src/run/workspace/pack.ts";
import { tempDir } from "../../helpers/hm.ts";
import { extract, listing, makeTree, snapshot, verboseListing } from "./tree.ts";

const scratch = memoryBackedTempDir() ?? tempDir("hm-pack-");
afterAll(() => scratch.cleanup());
let counter = 0;

/**
 * A temporary directory in /dev/shm when it has room: creating (and
 * extracting) 10 000 files on this VM's disk can take seconds, which is not
 * what these tests measure.
 */
function memoryBackedTempDir(): { path: string; cleanup: () => void } | undefined {
  try {
    const { bavail, bsize } = statfsSync("/dev/shm");
    if (bavail * bsize < 2 ** 30) return undefined;
    const path = mkdtempSync("/dev/shm/hm-pack-");
    return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
  } catch {
    return undefined;
  }
}

/** A fresh directory under the scratch directory. */
function fresh(name: string): string {
  const path = join(scratch.path, `${++counter}-${name}`);
  mkdirSync(path, { recursive: true });
  return path;
}

/** An environment with no global git excludes, so the host's never apply. */
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(scratch.path, "home") };

async function packAndExtract(root: string, pipelineDir: string | null = null) {
  const output = join(fresh("out"), "workspace.tar");
  const warnings: string[] = [];
  const started = performance.now();
  const result = await packWorkspace({ root, pipelineDir, output, env, onWarning: (m) => warnings.push(m) });
  const packMs = performance.now() - started;
  const extracted = fresh("extracted");
  extract(output, extracted);
  return { result, output, warnings, packMs, extracted: snapshot(extracted) };
}

const allBytes = new Uint8Array(256 * 4).map((_, i) => i % 256);
const fiveMegabytes = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);

describe("packWorkspace", () => {
  test("packs files, directories and symlinks with their modes, mtimes and targets", async () => {
    const root = fresh("tree");
    makeTree(root, {
      "README.md": "# hello\n",
      ".env": "SECRET=1\n",
      ".github/workflows/ci.yml": "on: push\n",
      "empty.txt": "",
      "empty-dir/": "",
      "bin/all-bytes.bin": allBytes,
      "bin/five.bin": fiveMegabytes,
      "scripts/run.sh": "#!/bin/sh\necho run\n",
      "private/key": "k",
      "src/lib/deep/file.ts": "export {};\n",
      "link-to-dir": { link: "src/lib" },
      "link-to-file": { link: "README.md" },
      dangling: { link: "does/not/exist" },
      absolute: { link: "/etc/passwd" },
    });
    chmodSync(join(root, "scripts/run.sh"), 0o755);
    chmodSync(join(root, "private/key"), 0o600);
    chmodSync(join(root, "private"), 0o700);
    utimesSync(join(root, "README.md"), 1_000_000_000, 1_000_000_000);

    const { result, output, warnings, extracted } = await packAndExtract(root);

    expect(extracted).toEqual(snapshot(root));
    expect(extracted["link-to-dir"]).toBe("link -> src/lib");
    expect(extracted["README.md"]).toStartWith("file 644 1000000000 ");
    expect(warnings).toEqual([]);
    expect(result).toEqual({
      files: 9,
      directories: 9,
      symlinks: 4,
      bytes: Bun.file(output).size,
      paths: listing(output),
      reused: { files: 0, whole: false },
    });
    // The symlinked directory's contents are not stored a second time.
    expect(listing(output).filter((name) => name.startsWith("link-to-dir"))).toEqual(["link-to-dir"]);
  });

  test("stores owner 0/0 with no user or group names", async () => {
    const root = fresh("owner");
    makeTree(root, { "a/b.txt": "b", l: { link: "a" } });
    const { output } = await packAndExtract(root);
    for (const line of verboseListing(output)) expect(line.split(/\s+/)[1]).toBe("0/0");
    const header = readFileSync(output).subarray(0, 512);
    expect(header.subarray(257, 265).toString("latin1")).toBe("ustar\u000000");
    expect(header.subarray(265, 329).every((byte) => byte === 0)).toBe(true);
  });

  test("keeps a 200-character path, a 150-character link target and long multibyte names (pax)", async () => {
    const root = fresh("long");
    const longDir = `${"d".repeat(60)}/${"e".repeat(60)}/${"f".repeat(60)}`;
    const longPath = `${longDir}/${"g".repeat(200 - longDir.length - 1)}`;
    const longTarget = `${"t".repeat(70)}/${"u".repeat(79)}`;
    const spec: Record<string, string | { link: string }> = {
      [longPath]: "long",
      "long-link": { link: longTarget },
      [`${"é".repeat(60)}.txt`]: "120 bytes of name in 64 characters",
      [`${"x".repeat(100)}`]: "exactly the name field",
      [`${"x".repeat(99)}/`]: "",
    };
    // Paths around 1000 bytes, where a pax record's length gains a fourth digit.
    for (let length = 985; length <= 1000; length++) {
      const segments = ["p".repeat(200), "q".repeat(200), "r".repeat(200), "s".repeat(200)].join("/");
      spec[`${segments}/${"n".repeat(length - segments.length - 1)}`] = String(length);
    }
    makeTree(root, spec);

    const { result, output, extracted, warnings } = await packAndExtract(root);

    expect(longPath).toHaveLength(200);
    expect(extracted).toEqual(snapshot(root));
    expect(extracted["long-link"]).toBe(`link -> ${longTarget}`);
    expect(listing(output)).toContain(longPath);
    expect(warnings).toEqual([]);
    expect(result.files).toBe(19);
  });

  test("orders entries depth first, siblings by name, a directory before its contents", async () => {
    const root = fresh("order");
    makeTree(root, { "a/x": "", "a-b": "", "a.c": "", B: "", _: "", "a/y/z": "", "0": "" });
    const { output } = await packAndExtract(root);
    // By name, "a" sorts before "a-b": the whole path would put "a/x" after "a.c".
    expect(listing(output)).toEqual(["0", "B", "_", "a/", "a/x", "a/y/", "a/y/z", "a-b", "a.c"]);
  });

  test("gives the same bytes for the same tree", async () => {
    const root = fresh("same");
    makeTree(root, { "z/a": "1", "y/b": "2", c: { link: "z" }, "d/": "" });
    const first = join(fresh("out"), "1.tar");
    const second = join(fresh("out"), "2.tar");
    await packWorkspace({ root, pipelineDir: null, output: first, env });
    await packWorkspace({ root, pipelineDir: null, output: second, env });
    expect(readFileSync(first).equals(readFileSync(second))).toBe(true);
  });

  test("stores an mtime before 1970 in a pax header", async () => {
    const root = fresh("old");
    makeTree(root, { "old.txt": "1960" });
    // Bun's utimesSync ignores a negative time; touch does not.
    Bun.spawnSync(["touch", "-d", "1960-01-01T00:00:00Z", join(root, "old.txt")]);
    const { extracted, output } = await packAndExtract(root);
    expect(extracted["old.txt"]).toStartWith("file 644 -315619200 ");
    expect(verboseListing(output)[0]).toContain("1960-01-01");
  });

  test("leaves out .git anywhere and the pipeline directory at the root only", async () => {
    const root = fresh("hm");
    makeTree(root, {
      ".hm/pipeline.ts": "export default {};\n",
      "sub/.hm/pipeline.ts": "nested, kept\n",
      ".git/HEAD": "ref: refs/heads/main\n",
      "vendor/lib/.git": "gitdir: ../../.git/modules/lib\n",
      "vendor/lib/code.c": "int x;\n",
      "nested/repo/.git/config": "[core]\n",
      "nested/repo/file": "f",
      ".gitignore": "",
      ".github/dependabot.yml": "version: 2\n",
    });
    const { extracted, result } = await packAndExtract(root, join(root, ".hm"));
    const names = Object.keys(extracted).sort();
    expect(names).toEqual(
      [
        ".github/",
        ".github/dependabot.yml",
        ".gitignore",
        "nested/",
        "nested/repo/",
        "nested/repo/file",
        "sub/",
        "sub/.hm/",
        "sub/.hm/pipeline.ts",
        "vendor/",
        "vendor/lib/",
        "vendor/lib/code.c",
      ].sort(),
    );
    expect(result).toMatchObject({ files: 5, directories: 7, symlinks: 0 });
  });

  test("packs the pipeline directory's own directories (scripts), not hm's files in it", async () => {
    const root = fresh("hm-scripts");
    makeTree(root, {
      ".hm/ci.ts": "export default {};\n",
      ".hm/helpers.ts": "export const x = 1;\n",
      ".hm/config.toml": "",
      ".hm/scripts/check.sh": "exit 0\n",
      ".hm/scripts/lib/util.sh": ":\n",
      ".hm/plugins/p.so": "",
      ".hm/node_modules/x/index.js": "",
      ".hm/__pycache__/ci.cpython-311.pyc": "",
      ".hm/types/sdk.d.ts": "",
      ".hm/scripts/.gitignore": "*.log\n",
      ".hm/scripts/run.log": "ignored\n",
    });
    const { extracted } = await packAndExtract(root, join(root, ".hm"));
    expect(Object.keys(extracted).sort()).toEqual([
      ".hm/",
      ".hm/scripts/",
      ".hm/scripts/.gitignore",
      ".hm/scripts/check.sh",
      ".hm/scripts/lib/",
      ".hm/scripts/lib/util.sh",
    ]);
  });

  test("leaves .hm/ out entirely when it holds only hm's own files", async () => {
    const root = fresh("hm-only");
    makeTree(root, { ".hm/ci.ts": "", ".hm/plugins/p.so": "", "a.txt": "a" });
    const { extracted } = await packAndExtract(root, ".hm");
    expect(Object.keys(extracted)).toEqual(["a.txt"]);
  });

  test("leaves out .harmont when that is the pipeline directory, given relative to the root", async () => {
    const root = fresh("harmont");
    makeTree(root, { ".harmont/p.ts": "", ".hm/kept": "", "a/.harmont/kept": "" });
    const { extracted } = await packAndExtract(root, ".harmont");
    expect(Object.keys(extracted).sort()).toEqual([
      ".hm/",
      ".hm/kept",
      "a/",
      "a/.harmont/",
      "a/.harmont/kept",
    ]);
  });

  test("skips a fifo without a word", async () => {
    const root = fresh("fifo");
    makeTree(root, { "a.txt": "a" });
    Bun.spawnSync(["mkfifo", join(root, "pipe")]);
    expect(existsSync(join(root, "pipe"))).toBe(true);
    const { output, result, warnings } = await packAndExtract(root);
    expect(listing(output)).toEqual(["a.txt"]);
    expect(result.files).toBe(1);
    expect(warnings).toEqual([]);
  });

  test("skips a file it cannot open, with a warning naming it", async () => {
    const root = fresh("unopenable");
    makeTree(root, { "ok.txt": "ok" });
    // Bun reads directory entries as UTF-8: a name that is not cannot be opened again.
    writeFileSync(
      Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff]), Buffer.from(".txt")]),
      "x",
    );
    const { output, result, warnings } = await packAndExtract(root);
    expect(listing(output)).toEqual(["ok.txt"]);
    expect(result.files).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toStartWith("skipped bad-");
  });

  test("does not pack its own output when it is written inside the tree", async () => {
    const root = fresh("self");
    makeTree(root, { "a.txt": "a" });
    const output = join(root, "workspace.tar");
    const result = await packWorkspace({ root, pipelineDir: null, output, env });
    expect(listing(output)).toEqual(["a.txt"]);
    expect(result.files).toBe(1);
  });

  test("replaces an existing output file", async () => {
    const root = fresh("replace");
    makeTree(root, { "a.txt": "a" });
    const output = join(fresh("out"), "w.tar");
    writeFileSync(output, "x".repeat(100_000));
    const result = await packWorkspace({ root, pipelineDir: null, output, env });
    expect(result.bytes).toBe(512 * 2 + 1024);
    expect(Bun.file(output).size).toBe(result.bytes);
  });

  test("rejects a root that is not a directory, naming it, and writes nothing", async () => {
    const dir = fresh("not-a-dir");
    const file = join(dir, "file.txt");
    writeFileSync(file, "x");
    const output = join(dir, "out.tar");
    for (const root of [file, join(dir, "missing")]) {
      const attempt = packWorkspace({ root, pipelineDir: null, output, env });
      await expect(attempt).rejects.toThrow(`${root} is not a directory`);
      await expect(attempt).rejects.toMatchObject({ code: "E_PROJECT" });
    }
    expect(existsSync(output)).toBe(false);
  });

  test("packs and extracts 10 000 files", async () => {
    const root = fresh("many");
    for (let d = 0; d < 100; d++) {
      const dir = join(root, `dir-${d}`, `sub-${d % 7}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(dir, `file-${f}.txt`), `${d}/${f}\n`.repeat(f % 9));
    }
    const { result, extracted, packMs } = await packAndExtract(root);
    expect(result).toMatchObject({ files: 10_000, directories: 200, symlinks: 0 });
    expect(extracted).toEqual(snapshot(root));
    console.log(`packed 10 000 files in ${packMs.toFixed(0)} ms`);
  });
});
