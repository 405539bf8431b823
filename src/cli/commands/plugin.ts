import { HmError } from "../../errors.ts";
import { installPlugin, removePlugin } from "../../plugins/install.ts";
import { userPluginDir } from "../../plugins/paths.ts";
import { type PluginEntry, type PluginRegistry, projectPluginDirFor } from "../../plugins/registry.ts";
import { BUILTIN_RUNNER_NAMES, BUILTIN_RUNNERS } from "../../run/builtin-runners.ts";
import { HM_VERSION } from "../../version.ts";
import { builtinRunnerInfo } from "../builtin-runner-info.ts";
import { defineHmCommand, dirArg } from "../command.ts";
import { writeStdout } from "../output.ts";
import { pluginRegistry } from "../plugin-registry.ts";
import { BUILTIN_VERBS } from "../verbs.ts";

function capabilitySummary(plugin: PluginEntry): string {
  return plugin.manifest.capabilities
    .map((c) => {
      if (c.kind === "subcommand") return `subcmd:${c.verb}`;
      if (c.kind === "step_executor") return `runner:${c.runner}${c.default ? "(*)" : ""}`;
      return "hook";
    })
    .join(", ");
}

/**
 * The plugin table (README): the built-in docker runner, then each
 * plugin with where it came from, then what is shadowed or broken.
 */
function renderPluginList(registry: PluginRegistry, projectDir: string | null): string {
  const nothingInstalled =
    registry.plugins.every((p) => p.source === "bundled") &&
    registry.broken.length === 0 &&
    registry.shadowed.length === 0;
  const dirs = [userPluginDir(), projectPluginDirFor(projectDir)];
  const howToInstall = `No plugins installed.\n\nPlugins live in:\n${dirs.map((d) => `  ${d}\n`).join("")}\nInstall one with hm plugin install <path-or-url>.\n`;
  const defaultRunner = registry.defaultRunner;
  const lines = [
    `${"name".padEnd(28)}${"version".padStart(10)}  capabilities`,
    // The docker runner is hm's own code, not a library; it sits in the same runner registry.
    `${"docker".padEnd(28)}${HM_VERSION.padStart(10)}  runner:docker${defaultRunner === undefined ? "(*)" : ""}  [built-in]`,
  ];
  for (const p of registry.plugins) {
    const source = p.source === "bundled" ? "  [bundled]" : "";
    lines.push(`${p.name.padEnd(28)}${p.manifest.version.padStart(10)}  ${capabilitySummary(p)}${source}`);
  }
  if (defaultRunner !== undefined) {
    lines.push("", `default runner: ${defaultRunner.name} (replaces the built-in docker runner)`);
  }
  if (registry.shadowed.length > 0) {
    lines.push("", "shadowed:");
    for (const s of registry.shadowed) lines.push(`  ${s.entry.name} (${s.entry.path}) shadowed by ${s.by}`);
  }
  if (registry.broken.length > 0) {
    lines.push("", "broken (not loaded):");
    for (const b of registry.broken) lines.push(`  ${b.name ?? "?"} ${b.path}: ${b.reason}`);
  }
  // Only hm's own plugins: still say where others go.
  return `${lines.join("\n")}\n${nothingInstalled ? `\n${howToInstall}` : ""}`;
}

const list = defineHmCommand({
  meta: { name: "list", description: "List plugins: loaded, shadowed and broken" },
  args: { ...dirArg },
  async run({ args, data }) {
    await writeStdout(renderPluginList(pluginRegistry(data.log, args.dir), args.dir ?? null));
    return 0;
  },
});

const info = defineHmCommand({
  meta: { name: "info", description: "Print a plugin's manifest as JSON" },
  args: { name: { type: "positional", description: "Plugin name", required: true }, ...dirArg },
  async run({ args, data }) {
    const registry = pluginRegistry(data.log, args.dir);
    const plugin = registry.named(args.name);
    const builtin = BUILTIN_RUNNERS.find((r) => r.name === args.name);
    if (plugin === undefined && builtin !== undefined) {
      const info = builtinRunnerInfo(builtin, registry.defaultRunner === undefined);
      await writeStdout(`${JSON.stringify(info, null, 2)}\n`);
      return 0;
    }
    if (plugin === undefined) {
      throw new HmError("E_PLUGIN_NOT_FOUND", `no plugin named '${args.name}' is installed`, {
        hint: "hm plugin list shows what is installed",
      });
    }
    await writeStdout(`${JSON.stringify(plugin.manifest, null, 2)}\n`);
    return 0;
  },
});

const install = defineHmCommand({
  meta: {
    name: "install",
    description: "Install a plugin from a file or an https URL into ~/.harmont/plugins/",
  },
  args: {
    source: {
      type: "positional",
      description: "Path to a .so/.dylib/.dll, or an https:// URL",
      required: true,
    },
    pin: {
      type: "string",
      valueHint: "SHA256",
      description: "Expected SHA-256 of the file (required for https)",
    },
  },
  async run({ args, data }) {
    const installed = await installPlugin({
      source: args.source,
      pin: args.pin,
      targetDir: userPluginDir(),
      registry: pluginRegistry(data.log),
      builtinVerbs: BUILTIN_VERBS,
      builtinRunners: BUILTIN_RUNNER_NAMES,
    });
    await writeStdout(
      `Installed plugin '${installed.manifest.name}' ${installed.manifest.version} to ${installed.path}\n`,
    );
    return 0;
  },
});

const remove = defineHmCommand({
  meta: { name: "remove", description: "Remove a plugin installed in ~/.harmont/plugins/" },
  args: { name: { type: "positional", description: "Plugin name", required: true } },
  async run({ args, data }) {
    const path = removePlugin(args.name, userPluginDir(), pluginRegistry(data.log));
    await writeStdout(`Removed ${path}\n`);
    return 0;
  },
});

export default defineHmCommand({
  meta: { name: "plugin", description: "List, inspect, install and remove native plugins" },
  subCommands: { list, info, install, remove },
});
