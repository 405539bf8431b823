/**
 * Plugins through the real CLI process: verbs in --help, argument parsing by
 * ArgSpec, run_subcommand exit codes and messages, host functions as a real
 * plugin sees them, hm version and hm plugin list.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { HM_VERSION } from "../../src/version.ts";
import { runHm, tempDir } from "../helpers/hm.ts";
import { compilePlugin, type FixtureName, fixturePath } from "../helpers/native.ts";

const home = tempDir("hm-home-");
const state = tempDir("hm-state-");
const plugins = tempDir("hm-plugin-path-");
const project = tempDir("hm-project-");

beforeAll(() => {
  const fixtures: FixtureName[] = ["failing-subcommand", "host-fn-probe", "noop-executor", "bad-api-version"];
  for (const f of fixtures) copyFileSync(fixturePath(f), join(plugins.path, `${f}.${LIBRARY_EXTENSION}`));
  mkdirSync(join(project.path, ".hm"));
  writeFileSync(join(project.path, ".hm", "app.toml"), "answer = 42\n");
  writeFileSync(join(project.path, "outside.txt"), "secret\n");
  symlinkSync(join(project.path, "outside.txt"), join(project.path, ".hm", "escape"));
});
afterAll(() => {
  for (const d of [home, state, plugins, project]) d.cleanup();
});

const hm = (args: string[]) =>
  runHm(args, {
    cwd: project.path,
    env: { HOME: home.path, HM_STATE_DIR: state.path, HM_PLUGIN_PATH: plugins.path },
  });

describe("plugin verbs", () => {
  test("hm --help lists plugin verbs and warns once per broken plugin", async () => {
    const result = await hm(["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("fixture-fail");
    expect(result.stdout).toContain("fixture-probe");
    const warnings = result.stderr.split("\n").filter((l) => l.includes("broken plugin"));
    expect(warnings).toEqual([expect.stringContaining("API version mismatch (plugin=9999, host=2..3)")]);
  });

  test("hm fixture-fail exits 7 with the plugin's message on stderr", async () => {
    const result = await hm(["fixture-fail"]);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toBe("intentional failure for tests\n");
  });

  test("hm fixture-probe finds every host function working", async () => {
    const result = await hm(["fixture-probe"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("probe stdout\n");
    const report = JSON.parse(result.stderr.trim().split("\n").at(-1) as string);
    expect(report).toEqual({
      log_ok: true,
      kv_round_trip: true,
      kv_isolated_per_scope: true,
      fs_read_returns_none_for_missing: true,
      should_cancel_default_false: true,
      config: null,
      args_seen: "fixture-probe",
    });
  });

  test("fs_read_config reads under .hm/ and refuses .., absolute paths and symlinks out", async () => {
    const configOf = async (path: string) => {
      const result = await hm(["fixture-probe", "--config", path]);
      expect(result.exitCode).toBe(0);
      return JSON.parse(result.stderr.trim().split("\n").at(-1) as string).config;
    };
    expect(await configOf("app.toml")).toBe("answer = 42\n");
    expect(await configOf("../outside.txt")).toBeNull();
    expect(await configOf(join(project.path, "outside.txt"))).toBeNull();
    expect(await configOf("escape")).toBeNull();
  });

  test("plugin arguments are parsed by their ArgSpecs: help, short flags, unknown options", async () => {
    const help = await hm(["fixture-probe", "--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("USAGE hm fixture-probe");
    expect(help.stdout).toContain("-c, --config");
    expect(help.stdout).toContain("--verbose-probe");
    const short = await hm(["fixture-probe", "-c", "app.toml", "--verbose-probe"]);
    expect(short.exitCode).toBe(0);
    const unknown = await hm(["fixture-probe", "--nope"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--nope' for 'hm fixture-probe'");
  });

  test("hm version counts loaded plugins and says how many are broken", async () => {
    const result = await hm(["version"]);
    // 3 fixtures plus the bundled shell plugin.
    expect(result.stdout).toContain("plugins loaded: 4 (1 broken: hm plugin list)");
  });

  test("a verb whose plugin is broken fails with exit 5 and the reason", async () => {
    const dir = tempDir("hm-broken-verb-");
    try {
      compilePlugin(
        dir.path,
        "old-verb",
        `#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
static int run(hm_ctx *ctx, const hm_subcommand_input *in, hm_exit_info *out) { (void)ctx; (void)in; out->exit_code = 0; return 1; }
static const hm_capability caps[] = { {.kind = HM_CAP_SUBCOMMAND, .as.subcommand = {.verb = "old-verb", .about = "from an older protocol"}} };
static const hm_manifest manifest = { .api_version = 1, .name = "old-verb", .version = "0.1.0", .description = "x", .capabilities = caps, .capability_count = 1 };
static const hm_plugin_def def = { .manifest = &manifest, .run_subcommand = run };
HM_PLUGIN(def);`,
      );
      const result = await runHm(["old-verb"], {
        cwd: project.path,
        env: { HOME: home.path, HM_STATE_DIR: state.path, HM_PLUGIN_PATH: dir.path },
      });
      expect(result.exitCode).toBe(5);
      expect(result.stderr).toContain("✘ plugin 'old-verb': API version mismatch (plugin=1, host=2..3)");
    } finally {
      dir.cleanup();
    }
  });

  test("an unknown verb lists built-ins and plugin verbs", async () => {
    const result = await hm(["fixture-nope"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("fixture-fail");
    expect(result.stderr).toContain("hm plugin install <ref>");
  });

  test("hm plugin list shows loaded and broken plugins; info prints a manifest", async () => {
    const list = await hm(["plugin", "list"]);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain("harmont-fixture-noop");
    expect(list.stdout).toContain("runner:noop");
    expect(list.stdout).toContain("subcmd:fixture-fail");
    expect(list.stdout).toContain("broken (not loaded):");
    const info = await hm(["plugin", "info", "harmont-fixture-probe"]);
    expect(info.exitCode).toBe(0);
    expect(JSON.parse(info.stdout).capabilities[0]).toMatchObject({
      kind: "subcommand",
      verb: "fixture-probe",
    });
    const missing = await hm(["plugin", "info", "nope"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("no plugin named 'nope' is installed");
  });
});

describe("hm plugin list with only the bundled plugins", () => {
  test("lists the built-in docker runner and the bundled plugins, then where plugins live and how to install one", async () => {
    const empty = tempDir("hm-empty-home-");
    try {
      const result = await runHm(["plugin", "list"], {
        cwd: empty.path,
        env: { HOME: empty.path, HM_STATE_DIR: state.path },
      });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(
        `${"name".padEnd(28)}${"version".padStart(10)}  capabilities\n` +
          `${"docker".padEnd(28)}${HM_VERSION.padStart(10)}  runner:docker(*)  [built-in]\n` +
          `${"shell".padEnd(28)}${"0.1.0".padStart(10)}  runner:shell, hook  [bundled]\n\n` +
          `No plugins installed.\n\nPlugins live in:\n  ${join(empty.path, ".harmont", "plugins")}\n  <project>/.hm/plugins/\n\nInstall one with hm plugin install <path-or-url>.\n`,
      );
    } finally {
      empty.cleanup();
    }
  });
});
