/**
 * Discovery, validation and conflicts with the real compiled fixtures
 * (`docs/design.md`, "Plugins: where, and which wins"): what is loaded, what is broken and why,
 * what shadows what.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_VERBS } from "../../src/cli/root.ts";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { loadRegistry, type PluginDir } from "../../src/plugins/registry.ts";
import { BUILTIN_RUNNER_NAMES } from "../../src/run/builtin-runners.ts";
import { tempDir } from "../helpers/hm.ts";
import { compilePlugin, type FixtureName, fixturePath } from "../helpers/native.ts";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** A plugin directory holding copies of the given fixtures (named `<file>.<ext>`). */
function pluginDir(files: Record<string, FixtureName>): string {
  const dir = tempDir("hm-plugins-");
  cleanups.push(dir.cleanup);
  for (const [file, fixture] of Object.entries(files))
    copyFileSync(fixturePath(fixture), join(dir.path, `${file}.${LIBRARY_EXTENSION}`));
  return dir.path;
}

function load(...dirs: PluginDir[]) {
  return loadRegistry({
    directories: dirs,
    builtinVerbs: BUILTIN_VERBS,
    builtinRunners: BUILTIN_RUNNER_NAMES,
  });
}

/** A plugin from C source, from the pattern docs/writing-plugins.md teaches. */
function manifestOnlyPlugin(dir: string, name: string, capabilities: string): string {
  return compilePlugin(
    dir,
    name,
    `#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
${capabilities}
`,
  );
}

describe("plugin registry", () => {
  test("indexes the noop runner, the fail verb and the hook from three fixtures", () => {
    const dir = pluginDir({ noop: "noop-executor", hook: "recording-hook", fail: "failing-subcommand" });
    const registry = load({ dir, source: "user" });
    expect(registry.broken).toEqual([]);
    expect(registry.plugins.map((p) => p.name).sort()).toEqual([
      "harmont-fixture-failing",
      "harmont-fixture-noop",
      "harmont-fixture-rec-hook",
    ]);
    expect(registry.runner("noop")?.name).toBe("harmont-fixture-noop");
    expect(registry.verb("fixture-fail")?.name).toBe("harmont-fixture-failing");
    expect(registry.hooks.map((p) => p.name)).toEqual(["harmont-fixture-rec-hook"]);
    expect(registry.defaultRunner).toBeUndefined();
  });

  test("rejects a manifest whose API version is not the host's, with found and expected", () => {
    const dir = pluginDir({ bad: "bad-api-version", noop: "noop-executor" });
    const registry = load({ dir, source: "user" });
    expect(registry.plugins.map((p) => p.name)).toEqual(["harmont-fixture-noop"]);
    expect(registry.broken).toHaveLength(1);
    expect(registry.broken[0]?.reason).toBe(
      "plugin 'harmont-fixture-bad-api': API version mismatch (plugin=9999, host=2..3): leave the hm_manifest's .api_version at 0 (the SDK then sends the lowest version that covers the manifest) and rebuild the plugin with the hm_plugin.h of this hm, whose HM_PROTOCOL_VERSION is 3",
    );
    expect(registry.brokenClaiming("runner:bad")?.path).toBe(join(dir, `bad.${LIBRARY_EXTENSION}`));
  });

  test("the same plugin twice in one directory is a conflict on runner:noop", () => {
    const dir = pluginDir({ a: "noop-executor", b: "noop-executor" });
    const registry = load({ dir, source: "user" });
    expect(registry.plugins).toHaveLength(1);
    expect(registry.broken[0]?.reason).toContain("plugin conflict: both 'harmont-fixture-noop'");
    expect(registry.broken[0]?.reason).toContain("claim 'runner:noop'");
  });

  test("a later directory shadows a plugin of the same name", () => {
    const user = pluginDir({ noop: "noop-executor" });
    const project = pluginDir({ "my-noop": "noop-executor" });
    const registry = load({ dir: user, source: "user" }, { dir: project, source: "project" });
    expect(registry.broken).toEqual([]);
    expect(registry.runner("noop")?.path).toBe(join(project, `my-noop.${LIBRARY_EXTENSION}`));
    expect(registry.shadowed.map((s) => [s.entry.path, s.by])).toEqual([
      [join(user, `noop.${LIBRARY_EXTENSION}`), join(project, `my-noop.${LIBRARY_EXTENSION}`)],
    ]);
  });

  test("a library that is not an hm plugin, and a Rust hm plugin, are broken with a reason that says so", () => {
    const dir = pluginDir({ plain: "not-a-plugin", rusty: "rust-stabby-lookalike" });
    const reasons = load({ dir, source: "user" }).broken.map((b) => b.reason);
    expect(reasons).toEqual([
      `plugin 'plain.${LIBRARY_EXTENSION}': not an hm plugin (missing hm_plugin_call)`,
      expect.stringContaining("was built for the Rust hm"),
    ]);
  });

  test("a file that is not a library at all is broken, and the rest still loads", () => {
    const dir = pluginDir({ noop: "noop-executor" });
    Bun.write(join(dir, `junk.${LIBRARY_EXTENSION}`), "not an ELF file");
    return Bun.sleep(10).then(() => {
      const registry = load({ dir, source: "user" });
      expect(registry.plugins.map((p) => p.name)).toEqual(["harmont-fixture-noop"]);
      expect(registry.broken[0]?.reason).toContain("cannot be opened as a shared library");
    });
  });

  test("a dangling symlink is a broken plugin, not a crash", () => {
    const dir = pluginDir({ noop: "noop-executor" });
    symlinkSync("/nonexistent/gone.so", join(dir, `dangling.${LIBRARY_EXTENSION}`));
    const registry = load({ dir, source: "user" });
    expect(registry.plugins.map((p) => p.name)).toEqual(["harmont-fixture-noop"]);
    expect(registry.broken[0]?.reason).toContain("cannot be opened as a shared library");
  });

  test("plugins may not claim built-in commands or runners, and two default runners conflict", () => {
    const dir = tempDir("hm-plugins-src-");
    cleanups.push(dir.cleanup);
    const plugins = join(dir.path, "plugins");
    mkdirSync(plugins);
    const executor = (name: string, runner: string, isDefault: boolean) =>
      manifestOnlyPlugin(
        plugins,
        name,
        `static int run(hm_ctx *ctx, const hm_executor_input *in, hm_step_result *out) { (void)ctx; (void)in; out->exit_code = 0; return 1; }
static const hm_capability caps[] = { {.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {.runner = "${runner}", .is_default = ${isDefault ? 1 : 0}}} };
static const hm_manifest manifest = { .name = "${name}", .version = "0.1.0", .description = "test", .capabilities = caps, .capability_count = 1 };
static const hm_plugin_def def = { .manifest = &manifest, .execute_step = run };
HM_PLUGIN(def);`,
      );
    executor("claims-docker", "docker", false);
    executor("first-default", "one", true);
    executor("second-default", "two", true);
    // The completion scripts' entry is dispatched before any command: a plugin verb could never run.
    manifestOnlyPlugin(
      plugins,
      "claims-complete",
      `static int verb(hm_ctx *ctx, const hm_subcommand_input *in, hm_exit_info *out) { (void)ctx; (void)in; (void)out; return 1; }
static const hm_capability caps[] = { {.kind = HM_CAP_SUBCOMMAND, .as.subcommand = {.verb = "__complete", .about = "x"}} };
static const hm_manifest manifest = { .name = "claims-complete", .version = "0.1.0", .description = "test", .capabilities = caps, .capability_count = 1 };
static const hm_plugin_def def = { .manifest = &manifest, .run_subcommand = verb };
HM_PLUGIN(def);`,
    );
    const registry = load({ dir: plugins, source: "user" });
    expect(registry.plugins.map((p) => p.name)).toEqual(["first-default"]);
    const reasons = registry.broken.map((b) => b.reason).sort();
    expect(reasons).toEqual([
      "plugin conflict: both 'first-default' and 'second-default' claim 'default-runner'",
      "plugin conflict: both 'hm' (built-in) and 'claims-complete' claim '__complete'",
      "plugin conflict: both 'hm' (built-in) and 'claims-docker' claim 'runner:docker'",
    ]);
    expect(registry.defaultRunner?.name).toBe("first-default");
  });
});
