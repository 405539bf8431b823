/**
 * What a command definition declares, read once per definition: its options
 * with every spelling that selects them, which take a value, which choices an
 * enum allows, its positionals and its subcommands. The argument checker
 * (argv.ts), the CLI frame (run-cli.ts) and completion (completion.ts) read
 * commands only through this module, so they agree on what a token means,
 * and none of them copies citty's own helpers.
 */
import type { ArgDef, ArgsDef, CommandDef, Resolvable } from "citty";
import type { HmCommand } from "./command.ts";

export type AnyCommand = HmCommand<ArgsDef> | CommandDef<ArgsDef>;

export interface OptionInfo {
  /** As declared, e.g. `keep-going`. */
  name: string;
  /** As declared: one letter for `-k`, longer for `--name`. */
  aliases: readonly string[];
  takesValue: boolean;
  /** An enum's allowed values; undefined for other options. */
  choices?: readonly string[];
  description?: string;
}

interface PositionalInfo {
  name: string;
  required: boolean;
}

export interface CommandArgs {
  options: readonly OptionInfo[];
  positionals: readonly PositionalInfo[];
  /** The option a flag spelling selects (without dashes or `=value`), as citty reads it. */
  option(spelling: string): OptionInfo | undefined;
}

export async function resolveValue<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function aliasesOf(def: ArgDef): string[] {
  const alias = "alias" in def ? def.alias : undefined;
  return alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
}

function optionInfo(name: string, def: ArgDef): OptionInfo {
  const choices = def.type === "enum" ? def.options : undefined;
  return {
    name,
    aliases: aliasesOf(def),
    takesValue: def.type === "string" || def.type === "enum",
    ...(choices !== undefined ? { choices } : {}),
    ...(def.description !== undefined ? { description: def.description } : {}),
  };
}

const derived = new WeakMap<ArgsDef, CommandArgs>();

/** The arguments `args` declares; derived once per definition object. */
export function commandArgs(args: ArgsDef): CommandArgs {
  const known = derived.get(args);
  if (known !== undefined) return known;
  const options: OptionInfo[] = [];
  const positionals: PositionalInfo[] = [];
  // Every spelling citty accepts: `--dir`, `-d`, `--dry-run`/`--dryRun`, and `--no-color` for a boolean.
  const spellings = new Map<string, OptionInfo>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") {
      positionals.push({ name, required: def.required !== false && def.default === undefined });
      continue;
    }
    const option = optionInfo(name, def);
    options.push(option);
    for (const spelling of [name, camel(name), kebab(name), ...option.aliases])
      spellings.set(spelling, option);
    if (def.type === "boolean") for (const n of [name, kebab(name)]) spellings.set(`no-${n}`, option);
  }
  const result: CommandArgs = { options, positionals, option: (spelling) => spellings.get(spelling) };
  derived.set(args, result);
  return result;
}

export async function argsOf(command: AnyCommand): Promise<CommandArgs> {
  return commandArgs(command.args === undefined ? {} : await resolveValue(command.args));
}

export async function subCommandsOf(command: AnyCommand): Promise<Record<string, Resolvable<AnyCommand>>> {
  return command.subCommands === undefined ? {} : await resolveValue(command.subCommands);
}

interface CommandListing {
  name: string;
  description?: string;
}

/** The subcommands help lists (not hidden), sorted by name. */
export async function visibleSubCommands(
  subCommands: Record<string, Resolvable<AnyCommand>>,
): Promise<CommandListing[]> {
  const out: CommandListing[] = [];
  for (const [name, sub] of Object.entries(subCommands)) {
    const meta = await resolveValue((await resolveValue(sub)).meta ?? {});
    if (!meta.hidden) out.push({ name, ...(meta.description ? { description: meta.description } : {}) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Where the next command word stands in `tokens`: the first token that is
 * neither a flag nor the value of one of `args`'s options; -1 if none comes
 * before `--`. The same rule citty applies to find a subcommand.
 */
export function commandWordIndex(tokens: readonly string[], args: CommandArgs): number {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === "--") return -1;
    if (!token.startsWith("-")) return i;
    if (!token.includes("=") && args.option(token.replace(/^--?/, ""))?.takesValue) i++;
  }
  return -1;
}
