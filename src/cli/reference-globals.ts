/**
 * The reference hm's hidden global options that take a value: `--api-url
 * URL` (sets `cloud.api_url`) and `--debug-trace PATH` (a Chrome trace of hm's
 * spans, written by cli/debug-trace.ts as main.ts asks). Taken out of the
 * arguments before anything else reads them, up to the first word that is
 * not a built-in command: after a plugin verb, every token is the plugin's.
 */
import { HmError } from "../errors.ts";

interface ReferenceGlobals {
  readonly tokens: string[];
  /** A usage error to report (an option without its value); the CLI frame throws it where it prints errors. */
  readonly error?: HmError;
  readonly apiUrl?: string;
  readonly debugTrace?: string;
}

const NAMES = ["--api-url", "--debug-trace"] as const;

export function takeReferenceGlobals(
  head: readonly string[],
  builtins: ReadonlySet<string>,
): ReferenceGlobals {
  const tokens: string[] = [];
  let commandSeen = false;
  const values: Partial<Record<(typeof NAMES)[number], string>> = {};
  for (let i = 0; i < head.length; i++) {
    const token = head[i] as string;
    const name = NAMES.find((n) => token === n || token.startsWith(`${n}=`));
    if (name === undefined) {
      tokens.push(token);
      if (commandSeen || token.startsWith("-")) continue;
      commandSeen = true;
      if (!builtins.has(token)) {
        tokens.push(...head.slice(i + 1));
        break;
      }
      continue;
    }
    const value = token === name ? head[++i] : token.slice(name.length + 1);
    if (value === undefined || value === "" || (token === name && value.startsWith("-"))) {
      const hint = name === "--api-url" ? "--api-url URL" : "--debug-trace PATH";
      return { tokens, error: new HmError("E_USAGE", `option '${name}' needs a value`, { hint }) };
    }
    values[name] = value;
  }
  return {
    tokens,
    ...(values["--api-url"] === undefined ? {} : { apiUrl: values["--api-url"] }),
    ...(values["--debug-trace"] === undefined ? {} : { debugTrace: values["--debug-trace"] }),
  };
}
