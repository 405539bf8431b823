/**
 * The toolchain install commands hm renders, run for real under `sh -c` (as
 * every runner runs a step) on a PATH holding only a shell and stubs: a
 * download that fails fails the step, and go, zig and Erlang fetch the build
 * of the architecture `uname -m` names. Nothing else is on the PATH, so the
 * commands cannot touch this machine whatever they would do next.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runHm, tempDir } from "../helpers/hm.ts";
import { projectsRemovedAfterAll } from "../helpers/scratch-projects.ts";

// Removed when the file ends, a failing test's included.
const makeProject = projectsRemovedAfterAll();

const PIPELINE = `import { pipeline } from "@harmont/hm";
import { elixir, go, js, py, rust, zig } from "@harmont/hm/toolchains";

export default {
  slug: "ci",
  pipeline: pipeline([
    js.project({ path: "bun", runtime: "bun" }).run("test"),
    js.project({ path: "pinned", runtime: "bun", version: "1.2.3" }).run("test"),
    js.project({ path: "node", runtime: "node" }).run("test"),
    js.project({ path: "deno", runtime: "deno" }).run("test"),
    py.uv({ path: "py" }).test(),
    rust.toolchain({ path: "rs" }).test(),
    go({ path: "go" }).test(),
    zig({ path: "zig" }).build(),
    elixir({ path: "ex" }).compile(),
  ]),
};
`;

let commands: Map<string, string[]>;
const scratch = tempDir("hm-toolchain-cmds-");
afterAll(() => scratch.cleanup());

beforeAll(async () => {
  const project = makeProject({ ".hm/ci.ts": PIPELINE });
  const result = await runHm(["pipelines", "-d", project.root]);
  expect(result.exitCode).toBe(0);
  const envelope = JSON.parse(result.stdout) as {
    pipelines: { definition: { graph: { nodes: { step: { label?: string; cmd: string } }[] } } }[];
  };
  commands = new Map();
  for (const { step } of envelope.pipelines[0]?.definition.graph.nodes ?? []) {
    const label = step.label ?? "";
    commands.set(label, [...(commands.get(label) ?? []), step.cmd]);
  }
});

function commandsLabelled(label: string): string[] {
  const found = commands.get(label);
  if (found === undefined) throw new Error(`no step labelled ${label}`);
  return found;
}

/** A directory to use as PATH: `sh` and `bash`, plus the given stub scripts. */
function stubPath(stubs: Record<string, string>): string {
  const dir = join(scratch.path, crypto.randomUUID());
  Bun.spawnSync(["mkdir", "-p", dir]);
  for (const tool of ["sh", "bash"]) symlinkSync(Bun.which(tool) as string, join(dir, tool));
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

function runUnderSh(cmd: string, path: string): { exitCode: number; stderr: string } {
  const shell = Bun.which("sh") as string;
  const proc = Bun.spawnSync([shell, "-c", cmd], {
    env: { PATH: path, HOME: join(path, "home") },
    cwd: path,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { exitCode: proc.exitCode, stderr: proc.stderr.toString() };
}

const INSTALLERS = [
  ":bun: install",
  ":node: install",
  ":deno: install",
  ":python: uv-install",
  ":rust: rustup",
  ":go: install",
  ":zig: install",
  ":ex: erlang-install",
  ":ex: elixir-install",
];

describe("a toolchain install whose download fails fails", () => {
  test("every install step fails with curl's status when the network is down", () => {
    // curl exits 6 when it cannot resolve the host.
    const path = stubPath({ curl: "exit 6", uname: "echo x86_64" });
    for (const label of INSTALLERS) {
      for (const cmd of commandsLabelled(label)) {
        const { exitCode } = runUnderSh(cmd, path);
        expect({ label, exitCode }).toEqual({ label, exitCode: 6 });
      }
    }
  });

  test("every install step fails when curl is not installed", () => {
    const path = stubPath({ uname: "echo x86_64" });
    for (const label of INSTALLERS) {
      for (const cmd of commandsLabelled(label)) {
        const { exitCode, stderr } = runUnderSh(cmd, path);
        expect({ label, exitCode }).toEqual({ label, exitCode: 127 });
        expect(stderr).toContain("curl");
      }
    }
  });

  test("the installer script runs only once its download is whole, with the pinned version", () => {
    // curl saves a script that records its arguments; the step runs it from the file.
    const record = join(scratch.path, `${crypto.randomUUID()}.args`);
    const path = stubPath({
      curl: `while [ "$1" != "-o" ]; do shift; done; printf 'echo "$@" > ${record}\\n' > "$2"`,
    });
    const [pinned] = commandsLabelled(":bun: install").filter((c) => c.includes("bun-v"));
    expect(runUnderSh(pinned as string, path).exitCode).toBe(0);
    expect(readFileSync(record, "utf8")).toBe("bun-v1.2.3\n");
  });
});

describe("go, zig and Erlang are downloaded for the machine's architecture", () => {
  /** The URLs the install commands ask curl for when `uname -m` prints `machine`. */
  function requestedUrls(machine: string): Map<string, { exitCode: number; url: string; stderr: string }> {
    const log = join(scratch.path, `${crypto.randomUUID()}.urls`);
    const path = stubPath({
      curl: `for a; do case "$a" in https://*) echo "$a" >> ${log} ;; esac; done; exit 7`,
      uname: `echo ${machine}`,
    });
    const seen = new Map<string, { exitCode: number; url: string; stderr: string }>();
    for (const label of [":go: install", ":zig: install", ":ex: erlang-install"]) {
      const { exitCode, stderr } = runUnderSh(commandsLabelled(label)[0] as string, path);
      const urls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
      seen.set(label, { exitCode, url: urls.at(-1) ?? "", stderr });
      writeFileSync(log, "");
    }
    return seen;
  }

  test("aarch64 gets arm64 builds", () => {
    const urls = requestedUrls("aarch64");
    expect(urls.get(":go: install")?.url).toBe("https://go.dev/dl/go1.23.2.linux-arm64.tar.gz");
    expect(urls.get(":zig: install")?.url).toBe(
      "https://ziglang.org/download/0.14.1/zig-aarch64-linux-0.14.1.tar.xz",
    );
    expect(urls.get(":ex: erlang-install")?.url).toEndWith("esl-erlang_27.3.3-1~debian~bookworm_arm64.deb");
    for (const { exitCode } of urls.values()) expect(exitCode).toBe(7);
  });

  test("x86_64 gets amd64 builds", () => {
    const urls = requestedUrls("x86_64");
    expect(urls.get(":go: install")?.url).toBe("https://go.dev/dl/go1.23.2.linux-amd64.tar.gz");
    expect(urls.get(":zig: install")?.url).toBe(
      "https://ziglang.org/download/0.14.1/zig-x86_64-linux-0.14.1.tar.xz",
    );
    expect(urls.get(":ex: erlang-install")?.url).toEndWith("esl-erlang_27.3.3-1~debian~bookworm_amd64.deb");
  });

  test("another architecture fails before any download, naming it", () => {
    for (const [label, { exitCode, url, stderr }] of requestedUrls("riscv64")) {
      expect({ label, exitCode, url }).toEqual({ label, exitCode: 1, url: "" });
      expect(stderr).toContain("no build for architecture riscv64 (x86_64 and aarch64 are supported)");
    }
  });
});
