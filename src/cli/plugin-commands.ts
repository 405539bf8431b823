/**
 * Plugin verbs as CLI commands (`docs/plugin-abi.md`): every SubcommandSpec tree
 * becomes citty commands, so `hm --help` lists them and `hm <verb> --help`
 * shows their arguments; hm parses the arguments by the ArgSpecs and calls
 * the plugin's `run_subcommand` with what it parsed.
 */
import type { ArgDef, ArgsDef, CommandDef } from "citty";
import { HmError } from "../errors.ts";
import { findProject } from "../pipeline/project.ts";
import type { PluginEntry, PluginRegistry } from "../plugins/registry.ts";
import { runSubcommand } from "../plugins/subcommand.ts";
import type { ArgSpec, SubcommandSpec, Value } from "../protocol/index.ts";
import { defineHmCommand, type HmCommand } from "./command.ts";

export function pluginCommands(registry: PluginRegistry): Record<string, CommandDef> {
  const commands: Record<string, CommandDef> = {};
  for (const plugin of registry.plugins) {
    for (const capability of plugin.manifest.capabilities) {
      if (capability.kind === "subcommand") commands[capability.verb] = toCommand(plugin, capability, []);
    }
  }
  return commands;
}

function argName(spec: ArgSpec): string {
  return spec.kind === "positional" ? spec.name : spec.long;
}

function toArgDef(spec: ArgSpec): ArgDef {
  const description = spec.help ?? undefined;
  switch (spec.kind) {
    case "positional":
      return { type: "positional", required: spec.required, description, valueHint: spec.value_type };
    case "option":
      return {
        type: "string",
        required: spec.required && spec.default === null,
        description,
        valueHint: spec.value_type,
        ...(spec.short !== null ? { alias: spec.short } : {}),
        ...(spec.default !== null ? { default: spec.default } : {}),
      };
    case "flag":
      return { type: "boolean", description, ...(spec.short !== null ? { alias: spec.short } : {}) };
  }
}

function toCommand(plugin: PluginEntry, spec: SubcommandSpec, parents: string[]): CommandDef {
  const path = [...parents, spec.verb];
  const args: ArgsDef = {};
  for (const arg of spec.args) args[argName(arg)] = toArgDef(arg);
  const subCommands: Record<string, CommandDef> = {};
  for (const sub of spec.subcommands) subCommands[sub.verb] = toCommand(plugin, sub, path);
  const needsSubcommand = spec.subcommands.length > 0 && spec.args.length === 0;
  const run: HmCommand["run"] = async ({ args: parsed, data }) => {
    const values = argValues(spec.args, parsed, path);
    const project = findProject(process.cwd());
    return runSubcommand(plugin, { verb_path: path, args: values, env: pluginEnv() }, project, data.log);
  };
  return defineHmCommand({
    meta: {
      name: spec.verb,
      description: parents.length === 0 ? `${spec.about} (plugin ${plugin.name})` : spec.about,
    },
    args,
    ...(spec.subcommands.length > 0 ? { subCommands } : {}),
    ...(needsSubcommand ? {} : { run }),
  }) as CommandDef;
}

/** Parsed arguments as the plugin receives them: flags as booleans, int values as numbers, unset optionals absent. */
function argValues(specs: readonly ArgSpec[], parsed: Record<string, unknown>, path: string[]): Value {
  const values: Record<string, Value> = {};
  for (const spec of specs) {
    const name = argName(spec);
    const raw = parsed[name];
    if (spec.kind === "flag") {
      values[name] = raw === true;
      continue;
    }
    if (raw === undefined || raw === null) continue;
    const text = String(raw);
    if (spec.value_type === "int") {
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        throw new HmError("E_USAGE", `hm ${path.join(" ")}: ${name} must be an integer (got '${text}')`);
      }
      values[name] = Number(text);
    } else if (spec.value_type === "bool") {
      if (text !== "true" && text !== "false") {
        throw new HmError("E_USAGE", `hm ${path.join(" ")}: ${name} must be true or false (got '${text}')`);
      }
      values[name] = text === "true";
    } else {
      values[name] = text;
    }
  }
  return values;
}

/** Plugins see hm's own configuration variables only: HM_* and HARMONT_*. */
function pluginEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if ((key.startsWith("HM_") || key.startsWith("HARMONT_")) && value !== undefined) env[key] = value;
  }
  return env;
}
