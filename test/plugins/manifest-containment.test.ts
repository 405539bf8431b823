/**
 * Listing plugins runs no plugin code in the CLI's process: real C plugins
 * that segfault, abort, exit() and hang in their manifest call (and one that
 * segfaults in a library constructor, at dlopen) are listed as broken with
 * the reason, and every other command works, from source and compiled.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { HM_VERSION } from "../../src/version.ts";
import { type HmOptions, REPO_ROOT, runHm, tempDir } from "../helpers/hm.ts";
import { irJson } from "../helpers/ir.ts";
import { fixturePath } from "../helpers/native.ts";
import { makeProject } from "../helpers/project.ts";

const scratch = tempDir("hm-manifest-containment-");
afterAll(() => scratch.cleanup());

/** The fixtures of this file (fixtures/<name>/, built by scripts/build-native.ts). */
const misbehaving = {
  "manifest-segfault": "crashed (SIGSEGV) in manifest",
  "manifest-abort": "crashed (SIGABRT) in manifest",
  "manifest-exit": "exited (code 3) in manifest",
  "load-segfault": "crashed (SIGSEGV) while loading",
} as const;
type Misbehaving = keyof typeof misbehaving | "manifest-hang";

function library(name: Misbehaving): string {
  return join(REPO_ROOT, "build", "fixtures", `${name}.${LIBRARY_EXTENSION}`);
}

/** A fresh HOME and plugin directory holding copies of the given libraries (fresh copies: new to the cache). */
function setup(names: readonly Misbehaving[], withNoop = true): { home: string; plugins: string } {
  const home = join(scratch.path, crypto.randomUUID());
  const plugins = join(home, "plugins");
  mkdirSync(plugins, { recursive: true });
  for (const name of names) copyFileSync(library(name), join(plugins, `${name}.${LIBRARY_EXTENSION}`));
  if (withNoop) copyFileSync(fixturePath("noop-executor"), join(plugins, `noop.${LIBRARY_EXTENSION}`));
  return { home, plugins };
}

function hm(args: string[], { home, plugins }: { home: string; plugins: string }, options: HmOptions = {}) {
  return runHm(args, {
    ...options,
    env: { HOME: home, HM_STATE_DIR: join(home, "state"), HM_PLUGIN_PATH: plugins, ...options.env },
  });
}

function cacheEntries(home: string): Record<string, { manifest?: string; broken?: string }> {
  const file = join(home, ".cache", "hm", `manifests-${HM_VERSION}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
}

const crashers = Object.keys(misbehaving) as (keyof typeof misbehaving)[];
const crashReasons = crashers.map(
  (name) =>
    `${join("plugins", `${name}.${LIBRARY_EXTENSION}`)}: plugin '${name}.${LIBRARY_EXTENSION}': ${misbehaving[name]}`,
);

describe("plugins that crash or exit while their manifest is read", () => {
  test("are listed as broken with the reason; --help, version and run with another plugin work", async () => {
    const dirs = setup(crashers);
    const list = await hm(["plugin", "list"], dirs);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain("harmont-fixture-noop");
    for (const reason of crashReasons) expect(list.stdout).toContain(reason);
    expect(list.stderr).not.toContain("Bun has crashed");

    const help = await hm(["--help"], dirs);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("USAGE hm");

    const version = await hm(["version"], dirs);
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toContain(`(${crashers.length} broken: hm plugin list)`);

    const project = makeProject({ ".hm/ci.ir.json": irJson([{ key: "a" }, { key: "b" }]) });
    try {
      const tmp = join(dirs.home, "tmp");
      mkdirSync(tmp);
      const run = await hm(["run", "--runner", "noop", "--format", "json"], dirs, {
        cwd: project.root,
        env: { TMPDIR: tmp },
      });
      expect(run.stdout).toContain('"kind":"build_end"');
      expect(run.exitCode).toBe(0);
    } finally {
      project.cleanup();
    }
  }, 60_000);

  test("the verdict is remembered for the file as it is; a changed file is read again", async () => {
    const dirs = setup(crashers);
    await hm(["plugin", "list"], dirs);
    const entries = cacheEntries(dirs.home);
    for (const name of crashers)
      expect(entries[join(dirs.plugins, `${name}.${LIBRARY_EXTENSION}`)]?.broken).toBe(misbehaving[name]);
    expect(entries[join(dirs.plugins, `noop.${LIBRARY_EXTENSION}`)]?.manifest).toBeString();

    // A remembered verdict is reported without reading the plugin: the forged reason shows.
    const segfault = join(dirs.plugins, `manifest-segfault.${LIBRARY_EXTENSION}`);
    const forged = { ...entries, [segfault]: { ...entries[segfault], broken: "remembered, not read again" } };
    await Bun.write(join(dirs.home, ".cache", "hm", `manifests-${HM_VERSION}.json`), JSON.stringify(forged));
    expect((await hm(["plugin", "list"], dirs)).stdout).toContain("remembered, not read again");

    // Replaced by a good plugin (a new file): read again, and loaded.
    copyFileSync(fixturePath("recording-hook"), `${segfault}.new`);
    Bun.spawnSync(["mv", `${segfault}.new`, segfault]);
    const relisted = await hm(["plugin", "list"], dirs);
    expect(relisted.stdout).toContain("harmont-fixture-rec-hook");
    expect(relisted.stdout).not.toContain("remembered, not read again");
  }, 60_000);

  test("hm plugin install refuses one, naming the crash, and installs nothing", async () => {
    const dirs = setup([], false);
    const install = await hm(["plugin", "install", library("manifest-abort")], dirs);
    expect(install.exitCode).toBe(5);
    expect(install.stderr).toContain("cannot be installed: crashed (SIGABRT) in manifest");
    expect(existsSync(join(dirs.home, ".harmont", "plugins"))).toBe(false);
  });
});

describe("a plugin whose manifest call never returns", () => {
  test("is listed as broken after the limit, is not remembered, and other commands work", async () => {
    const dirs = setup(["manifest-hang"]);
    const list = await hm(["plugin", "list"], dirs);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain("harmont-fixture-noop");
    expect(list.stdout).toContain(
      `plugin 'manifest-hang.${LIBRARY_EXTENSION}': no answer within 5 s in manifest`,
    );
    // A hang may be load: it is not remembered (the noop plugin is).
    const entries = cacheEntries(dirs.home);
    expect(Object.keys(entries)).not.toContain(join(dirs.plugins, `manifest-hang.${LIBRARY_EXTENSION}`));
    expect(Object.keys(entries)).toContain(join(dirs.plugins, `noop.${LIBRARY_EXTENSION}`));

    const version = await hm(["version"], dirs);
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toContain("(1 broken: hm plugin list)");
  }, 60_000);

  test("Ctrl-C while it is being read ends hm and the reader", async () => {
    const dirs = setup(["manifest-hang"], false);
    const child = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "version"], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dirs.home,
        HM_STATE_DIR: join(dirs.home, "state"),
        HM_PLUGIN_PATH: dirs.plugins,
        NO_COLOR: "1",
      },
      stdout: "pipe",
      stderr: "pipe",
      detached: true, // its own process group, as a terminal's foreground job
    });
    // The terminal signals the whole foreground group; wait until hm is reading the plugin.
    const reader = await waitForReader(child.pid);
    process.kill(-child.pid, "SIGINT");
    await child.exited;
    expect(child.signalCode).toBe("SIGINT");
    // Gone, or a zombie waiting for whoever inherited it: not running the plugin any more.
    while (isRunning(reader)) await Bun.sleep(20);
  }, 60_000);
});

/** The pid of `pid`'s manifest reader child, once it runs (Linux /proc). */
async function waitForReader(pid: number): Promise<number> {
  for (;;) {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(" ")) {
        if (child !== "" && commandLine(child).includes("__manifests")) return Number(child);
      }
    }
    await Bun.sleep(20);
  }
}

function commandLine(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return ""; // it has already exited
  }
}

function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("the compiled binary", () => {
  const binary = join(scratch.path, "hm-compiled");
  beforeAll(() => {
    // Built here (not dist/hm, which other tests build): the reader is the binary itself.
    const build = Bun.spawnSync(
      [
        process.execPath,
        "build",
        "--compile",
        "--format=esm",
        "--splitting",
        "--no-compile-autoload-dotenv",
        "--no-compile-autoload-bunfig",
        join(REPO_ROOT, "src", "main.ts"),
        join(REPO_ROOT, "src", "plugins", "worker.ts"),
        "--outfile",
        binary,
      ],
      { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" },
    );
    if (build.exitCode !== 0) throw new Error(`bun build failed:\n${build.stderr.toString()}`);
  }, 120_000);

  test("reads manifests in a process of its own: crashing plugins are broken, the rest load", async () => {
    const dirs = setup(crashers);
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dirs.home,
      HM_STATE_DIR: join(dirs.home, "state"),
      HM_PLUGIN_PATH: dirs.plugins,
      NO_COLOR: "1",
    };
    const list = Bun.spawnSync([binary, "plugin", "list"], {
      cwd: scratch.path,
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(list.exitCode).toBe(0);
    const stdout = list.stdout.toString();
    expect(stdout).toContain("harmont-fixture-noop");
    for (const reason of crashReasons) expect(stdout).toContain(reason);
  });
});
