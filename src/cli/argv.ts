/**
 * Strict checking of a command's arguments before citty parses them: citty
 * accepts unknown flags silently and lets a string option swallow the next
 * flag (`docs/design.md`, "Bun facts hm is built on"), and an enum's value is checked here so every enum
 * says the same thing. Tokens after `--` are never checked: they belong to
 * the command.
 */
import { HmError } from "../errors.ts";
import { didYouMean, nearest } from "../suggest.ts";
import type { CommandArgs, OptionInfo } from "./command-args.ts";

/** Throws a usage error naming the first bad token. `command` is the full name, e.g. "hm render". */
export function checkArgs(command: string, args: CommandArgs, tokens: readonly string[]): void {
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
        const option = args.option(flag);
        const spelled = long ? `--${flag}` : `-${flag}`;
        if (option === undefined) {
          // A one-letter flag is too short to guess from.
          const match = long ? nearest(flag, longNames(args)) : undefined;
          const near = match === undefined ? "" : `: did you mean '--${match}'?`;
          throw new HmError("E_USAGE", `unknown option '${spelled}' for '${command}'${near}`, { hint: help });
        }
        if (!option.takesValue) {
          if (eq >= 0) throw new HmError("E_USAGE", `option '${spelled}' takes no value`, { hint: help });
          continue;
        }
        if (k !== flags.length - 1) {
          throw new HmError("E_USAGE", `option '${spelled}' needs a value and cannot be grouped`, {
            hint: help,
          });
        }
        const value = eq >= 0 ? body.slice(eq + 1) : tokens[i + 1];
        if (eq < 0) {
          if (value === undefined || (value.startsWith("-") && value !== "-")) {
            throw new HmError("E_USAGE", `option '${spelled}' needs a value`, { hint: help });
          }
          i++;
        }
        checkChoice(option, value as string);
      }
      continue;
    }
    positionalCount++;
    if (positionalCount > args.positionals.length) {
      throw new HmError("E_USAGE", `unexpected argument '${token}' for '${command}'`, { hint: help });
    }
  }
}

/** The long spellings a command takes, without dashes, in declaration order (`--help` last). */
function longNames(args: CommandArgs): string[] {
  const names = args.options.flatMap((o) => [o.name, ...o.aliases.filter((a) => a.length > 1)]);
  return [...names, "help"];
}

/** One wording for every enum option: what was given, then the choices. */
function checkChoice(option: OptionInfo, value: string): void {
  if (option.choices === undefined || option.choices.length === 0 || option.choices.includes(value)) return;
  throw new HmError("E_USAGE", `unknown --${option.name} '${value}'${didYouMean(value, option.choices)}`, {
    hint: `available: ${option.choices.join(", ")}`,
  });
}
