/**
 * `bun run build:release`: one binary per target and their checksums. The
 * host's binary runs here, with its embedded shell runner; the others are
 * checked for what they are (their architecture, from the ELF / Mach-O header).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";

const out = join(REPO_ROOT, "dist", "release");
const TARGETS = ["hm-darwin-arm64", "hm-darwin-x64", "hm-linux-arm64", "hm-linux-x64"];
let buildLog = "";

beforeAll(() => {
  const build = Bun.spawnSync([process.execPath, "run", "build:release"], {
    cwd: REPO_ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  buildLog = build.stderr.toString();
  if (build.exitCode !== 0) throw new Error(`bun run build:release failed:\n${buildLog}`);
}, 300_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

test("four binaries and sha256sums.txt that matches them; the build says which ship without plugins", () => {
  const sums = readFileSync(join(out, "sha256sums.txt"), "utf8").trim().split("\n");
  expect(sums.map((line) => line.split(/\s+/)[1])).toEqual(TARGETS);
  for (const line of sums) {
    const [digest = "", file = ""] = line.split(/\s+/);
    expect(new Bun.CryptoHasher("sha256").update(readFileSync(join(out, file))).digest("hex")).toBe(digest);
  }
  expect(buildLog).toContain("hm-linux-x64");
  expect(buildLog).toMatch(/hm-darwin-arm64 .*no bundled plugins/);
});

test("each binary is built for its target", () => {
  const header = (file: string) => readFileSync(join(out, file)).subarray(0, 20);
  const elfMachine = (file: string) => header(file).readUInt16LE(18);
  expect(elfMachine("hm-linux-x64")).toBe(62); // EM_X86_64
  expect(elfMachine("hm-linux-arm64")).toBe(183); // EM_AARCH64
  const machO = (file: string) => [header(file).readUInt32LE(0), header(file).readUInt32LE(4)];
  expect(machO("hm-darwin-x64")).toEqual([0xfeedfacf, 0x01000007]); // 64-bit, CPU_TYPE_X86_64
  expect(machO("hm-darwin-arm64")).toEqual([0xfeedfacf, 0x0100000c]); // 64-bit, CPU_TYPE_ARM64
});

test.skipIf(process.platform !== "linux" || process.arch !== "x64")(
  "the linux-x64 binary runs a step on its embedded shell runner",
  async () => {
    const home = tempDir("hm-release-home-");
    const project = tempDir("hm-release-project-");
    try {
      await Bun.write(join(project.path, ".hm", "ci.ir.json"), irJson([{ key: "hi", cmd: "echo released" }]));
      const proc = Bun.spawnSync(
        [join(out, "hm-linux-x64"), "run", "--runner", "shell", "--logs", "-d", project.path],
        {
          cwd: home.path,
          env: { PATH: process.env.PATH ?? "", HOME: home.path, NO_COLOR: "1" },
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      expect(proc.exitCode).toBe(0);
      expect(proc.stdout.toString()).toContain("[echo released] released");
    } finally {
      home.cleanup();
      project.cleanup();
    }
  },
);
