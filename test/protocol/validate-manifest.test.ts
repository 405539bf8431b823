/** Static manifest checks: which manifests a host refuses to load, and the message it gives. */
import { describe, expect, test } from "bun:test";
import {
  type Capability,
  HM_PLUGIN_API_VERSION,
  type PluginManifest,
  type SubcommandSpec,
  validateManifest,
} from "../../src/protocol/index.ts";

const executor = (runner: string): Capability => ({
  kind: "step_executor",
  runner,
  default: false,
  step_schema: null,
});
const sub = (verb: string, subcommands: SubcommandSpec[] = []): Capability & SubcommandSpec => ({
  kind: "subcommand",
  verb,
  about: "",
  args: [],
  subcommands,
});
const manifest = (patch: Partial<PluginManifest> = {}): PluginManifest => ({
  api_version: 2,
  name: "harmont-docker",
  version: "0.1.0",
  description: "",
  capabilities: [executor("docker")],
  config_schema: null,
  ...patch,
});

describe("validateManifest", () => {
  test("accepts a minimal manifest and one with every capability kind", () => {
    expect(HM_PLUGIN_API_VERSION).toBe(2);
    expect(validateManifest(manifest())).toBeNull();
    const hook: Capability = {
      kind: "lifecycle_hook",
      events: ["step_end"],
      phase: "after",
      timeout_ms: 100,
    };
    expect(
      validateManifest(manifest({ capabilities: [sub("cloud", [sub("org")]), executor("vm"), hook] })),
    ).toBeNull();
  });

  test("rejects another API version, naming both", () => {
    expect(validateManifest(manifest({ api_version: 999 }))).toBe(
      "plugin 'harmont-docker': API version mismatch (plugin=999, host=2)",
    );
    expect(validateManifest(manifest({ api_version: 3 }), 3)).toBeNull();
  });

  test("rejects a manifest without capabilities", () => {
    expect(validateManifest(manifest({ capabilities: [] }))).toBe(
      "plugin 'harmont-docker': declared no capabilities",
    );
  });

  test("rejects a step executor whose runner is empty, blank or has whitespace", () => {
    for (const runner of ["", "  ", "my runner", "tab\there", "nbsp\u00a0x", "nel\u0085x"]) {
      expect(validateManifest(manifest({ capabilities: [executor(runner)] }))).toBe(
        `plugin 'harmont-docker': StepExecutorSpec.runner '${runner}' is empty or contains whitespace`,
      );
    }
  });

  test("rejects the same top-level verb twice", () => {
    expect(validateManifest(manifest({ capabilities: [sub("cloud"), executor("x"), sub("cloud")] }))).toBe(
      "plugin 'harmont-docker': declared the same subcommand verb twice ('cloud')",
    );
  });

  test("rejects a verb that is not a single word, or a nested verb repeated under one parent", () => {
    expect(validateManifest(manifest({ capabilities: [sub("")] }))).toBe(
      "plugin 'harmont-docker': subcommand verb '' is empty or contains whitespace",
    );
    expect(
      validateManifest(manifest({ capabilities: [sub("cloud", [sub("org", [sub("two words")])])] })),
    ).toBe(
      "plugin 'harmont-docker': subcommand verb 'two words' (under 'cloud org') is empty or contains whitespace",
    );
    expect(validateManifest(manifest({ capabilities: [sub("cloud", [sub("org"), sub("org")])] }))).toBe(
      "plugin 'harmont-docker': declared the same subcommand verb twice ('cloud org')",
    );
    expect(validateManifest(manifest({ capabilities: [sub("cloud", [sub("org")]), sub("org")] }))).toBeNull();
  });

  test("rejects a name that could not be a file name or an id", () => {
    for (const name of ["", ".", "..", "a b", "a/b", "a\\b", "a\u0000b", "line\nbreak"]) {
      expect(validateManifest(manifest({ name }))).toStartWith(`plugin name '${name}' is not a valid name (`);
    }
    expect(validateManifest(manifest({ name: "hm-fixture_1.2" }))).toBeNull();
  });

  test("the first failing rule wins: name, API version, capabilities, then each capability in order", () => {
    expect(validateManifest(manifest({ name: "", api_version: 1, capabilities: [] }))).toStartWith(
      "plugin name ''",
    );
    expect(validateManifest(manifest({ api_version: 1, capabilities: [] }))).toContain(
      "API version mismatch",
    );
    expect(validateManifest(manifest({ capabilities: [sub("a"), sub("a"), executor("")] }))).toContain(
      "twice",
    );
    expect(validateManifest(manifest({ capabilities: [executor(""), sub("a"), sub("a")] }))).toContain(
      "StepExecutorSpec",
    );
  });
});
