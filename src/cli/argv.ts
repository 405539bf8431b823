/**
 * Strict checking of a command's arguments before citty parses them: citty
 * accepts unknown flags silently and lets a string option swallow the next
 * flag (bun-notes §5). Tokens after `--` are never checked: they belong to
 * the command.
 */
import type { ArgDef, ArgsDef } from "citty";
import { HmError } from "../errors.ts";

interface Option {
  name: string;
  def: ArgDef;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function aliasesOf(def: ArgDef): string[] {
  const alias = (def as { alias?: string | string[] }).alias;
  return alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
}

/** Every spelling that selects an option: `--dir`, `-d`, `--dry-run`/`--dryRun`, `--no-color`. */
function optionTable(args: ArgsDef): Map<string, Option> {
  const table = new Map<string, Option>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const names = [name, camel(name), kebab(name), ...aliasesOf(def)];
    for (const n of names) table.set(n, { name, def });
    if (def.type === "boolean") for (const n of [name, kebab(name)]) table.set(`no-${n}`, { name, def });
  }
  return table;
}

/** Throws a usage error naming the first bad token. `command` is the full name, e.g. "hm render". */
export function checkArgs(command: string, args: ArgsDef, tokens: readonly string[]): void {
  const options = optionTable(args);
  const positionals = Object.entries(args).filter(([, d]) => d.type === "positional");
  const help = `${command} --help lists what it takes`;
  let positionalCount = 0;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === "--") return;
    if (token.startsWith("-") && token !== "-") {
      const long = token.startsWith("--");
      const body = token.slice(long ? 2 : 1);
      const eq = body.indexOf("=");
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const flags = long || name.length === 1 ? [name] : [...name];
      for (const [k, flag] of flags.entries()) {
        const option = options.get(flag);
        const spelled = long ? `--${flag}` : `-${flag}`;
        if (option === undefined) {
          throw new HmError("E_USAGE", `unknown option '${spelled}' for '${command}'`, { hint: help });
        }
        const takesValue = option.def.type === "string" || option.def.type === "enum";
        if (!takesValue) {
          if (eq >= 0) throw new HmError("E_USAGE", `option '${spelled}' takes no value`, { hint: help });
          continue;
        }
        if (k !== flags.length - 1) {
          throw new HmError("E_USAGE", `option '${spelled}' needs a value and cannot be grouped`, {
            hint: help,
          });
        }
        if (eq < 0) {
          const value = tokens[i + 1];
          if (value === undefined || (value.startsWith("-") && value !== "-")) {
            throw new HmError("E_USAGE", `option '${spelled}' needs a value`, { hint: help });
          }
          i++;
        }
      }
      continue;
    }
    positionalCount++;
    if (positionalCount > positionals.length) {
      throw new HmError("E_USAGE", `unexpected argument '${token}' for '${command}'`, { hint: help });
    }
  }
}
