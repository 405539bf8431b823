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
    expect(HM_PLUGIN_API_VERSION).toBe(3);
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

  test("rejects another API version, naming both and what to set", () => {
    expect(validateManifest(manifest({ api_version: 999 }))).toBe(
      "plugin 'harmont-docker': API version mismatch (plugin=999, host=2..3): leave the hm_manifest's .api_version at 0 (the SDK then sends the lowest version that covers the manifest) and rebuild the plugin with the hm_plugin.h of this hm, whose HM_PROTOCOL_VERSION is 3",
    );
    expect(validateManifest(manifest({ api_version: 1 }))).toStartWith(
      "plugin 'harmont-docker': API version mismatch (plugin=1, host=2..3)",
    );
    // Protocol 2 plugins (every plugin built before step_logs) still load; 3 is accepted too.
    expect(validateManifest(manifest({ api_version: 2 }))).toBeNull();
    expect(validateManifest(manifest({ api_version: 3 }))).toBeNull();
  });

  test("step_logs needs protocol 3, the after phase, and no step_log next to it", () => {
    const hook = (
      events: Extract<Capability, { kind: "lifecycle_hook" }>["events"],
      phase: "before" | "after" = "after",
    ) => ({ kind: "lifecycle_hook", events, phase, timeout_ms: 100 }) satisfies Capability;
    expect(
      validateManifest(manifest({ api_version: 3, capabilities: [hook(["step_logs", "step_end"])] })),
    ).toBeNull();
    expect(validateManifest(manifest({ api_version: 2, capabilities: [hook(["step_logs"])] }))).toBe(
      "plugin 'harmont-docker': capabilities[0].as.lifecycle_hook.events lists HM_HOOK_STEP_LOGS, which needs protocol 3, but the manifest says api_version 2: leave the hm_manifest's .api_version at 0 and rebuild with the hm_plugin.h of this hm",
    );
    expect(
      validateManifest(manifest({ api_version: 3, capabilities: [hook(["step_logs"], "before")] })),
    ).toStartWith(
      "plugin 'harmont-docker': capabilities[0].as.lifecycle_hook takes HM_HOOK_STEP_LOGS in the before phase",
    );
    expect(
      validateManifest(
        manifest({ api_version: 3, capabilities: [executor("x"), hook(["step_log", "step_logs"])] }),
      ),
    ).toStartWith(
      "plugin 'harmont-docker': capabilities[1].as.lifecycle_hook.events lists both HM_HOOK_STEP_LOG and HM_HOOK_STEP_LOGS",
    );
  });

  test("rejects a manifest without capabilities", () => {
    expect(validateManifest(manifest({ capabilities: [] }))).toBe(
      "plugin 'harmont-docker': declared no capabilities: point the hm_manifest's .capabilities at an array of hm_capability and set .capability_count = sizeof capabilities / sizeof capabilities[0]",
    );
  });

  test("rejects a step executor whose runner is empty, blank or has whitespace, naming the C field", () => {
    for (const runner of ["", "  ", "my runner", "tab\there", "nbsp\u00a0x", "nel\u0085x"]) {
      expect(validateManifest(manifest({ capabilities: [executor("ok"), executor(runner)] }))).toBe(
        `plugin 'harmont-docker': capabilities[1].as.step_executor.runner '${runner}' is empty or contains whitespace: set it to one word, the name pipelines give as runner, e.g. .runner = "echo"`,
      );
    }
  });

  test("rejects the same top-level verb twice", () => {
    expect(validateManifest(manifest({ capabilities: [sub("cloud"), executor("x"), sub("cloud")] }))).toBe(
      "plugin 'harmont-docker': declared the same subcommand verb twice ('cloud', again at capabilities[2].as.subcommand.verb): give each top-level subcommand its own .verb, or merge them",
    );
  });

  test("rejects a verb that is not a single word, or a nested verb repeated under one parent", () => {
    expect(validateManifest(manifest({ capabilities: [sub("")] }))).toBe(
      "plugin 'harmont-docker': subcommand verb '' at capabilities[0].as.subcommand.verb is empty or contains whitespace: set it to one word, the one typed after hm, e.g. .verb = \"deploy\"",
    );
    expect(
      validateManifest(manifest({ capabilities: [sub("cloud", [sub("org", [sub("two words")])])] })),
    ).toBe(
      "plugin 'harmont-docker': subcommand verb 'two words' (under 'cloud org') at capabilities[0].as.subcommand.subcommands[0].subcommands[0].verb is empty or contains whitespace: set it to one word, the one typed after hm, e.g. .verb = \"deploy\"",
    );
    expect(validateManifest(manifest({ capabilities: [sub("cloud", [sub("org"), sub("org")])] }))).toBe(
      "plugin 'harmont-docker': declared the same subcommand verb twice ('cloud org', again at capabilities[0].as.subcommand.subcommands[1].verb): give each subcommand of 'cloud' its own .verb",
    );
    expect(validateManifest(manifest({ capabilities: [sub("cloud", [sub("org")]), sub("org")] }))).toBeNull();
  });

  test("rejects a name that could not be a file name or an id", () => {
    for (const name of ["", ".", "..", "a b", "a/b", "a\\b", "a\u0000b", "line\nbreak"]) {
      expect(validateManifest(manifest({ name }))).toStartWith(`plugin name '${name}' is not a valid name (`);
      expect(validateManifest(manifest({ name }))).toEndWith(
        ': set the hm_manifest\'s .name to one such word, e.g. .name = "my-plugin"',
      );
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
      "capabilities[0].as.step_executor.runner",
    );
  });
});
