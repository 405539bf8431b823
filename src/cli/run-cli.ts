/**
 * The CLI frame around citty (`docs/design.md`, "Bun facts hm is built on"): global flags anywhere before
 * `--`, help for the full command path, strict arguments, one error printer,
 * and distinct exit codes. Commands return their exit code.
 */
import { runCommand } from "citty";
import { ExitCode, HmError } from "../errors.ts";
import { createLogger, type Logger } from "../log.ts";
import { didYouMean } from "../suggest.ts";
import { disableColor } from "../term.ts";
import { span, startupDone } from "../trace/tracer.ts";
import { checkArgs } from "./argv.ts";
import type { HmCommandData } from "./command.ts";
import {
  type AnyCommand,
  argsOf,
  commandWordIndex,
  resolveValue,
  subCommandsOf,
  visibleSubCommands,
} from "./command-args.ts";
import { printError, writeStdout } from "./output.ts";
import { takeReferenceGlobals } from "./reference-globals.ts";
import { renderHelp } from "./usage.ts";

interface Resolved {
  /** The commands from the root to the one selected, e.g. [hm, plugin, list]. */
  chain: AnyCommand[];
  names: string[];
  /** The argument tokens that belong to the selected command. */
  rest: string[];
  /** A word in command position that names no command. */
  unknown?: string;
  /** `hm help …`: the words after it name the command to describe. */
  helpWord: boolean;
}

async function resolveChain(root: AnyCommand, tokens: string[], extra?: ExtraCommands): Promise<Resolved> {
  const chain: AnyCommand[] = [root];
  const names = ["hm"];
  let helpWord = false;
  for (;;) {
    const current = chain[chain.length - 1] as AnyCommand;
    const subs = await subCommandsOf(current);
    if (Object.keys(subs).length === 0) break;
    // Past flags (e.g. `-h`) and the values of this command's options, to the next command word.
    const j = commandWordIndex(tokens, await argsOf(current));
    if (j < 0) break;
    const word = tokens[j] as string;
    tokens = [...tokens.slice(0, j), ...tokens.slice(j + 1)];
    if (word === "help" && chain.length === 1 && !helpWord) {
      helpWord = true;
      continue;
    }
    const sub = subs[word] ?? (chain.length === 1 ? extra?.commands()[word] : undefined);
    if (sub === undefined) return { chain, names, rest: tokens, unknown: word, helpWord };
    chain.push(await resolveValue(sub));
    names.push(word);
  }
  return { chain, names, rest: tokens, helpWord };
}

async function usageOf(resolved: Resolved): Promise<string> {
  const leaf = resolved.chain[resolved.chain.length - 1] as AnyCommand;
  return renderHelp(leaf, resolved.names.slice(0, -1).join(" "));
}

/** Commands that plugins add, looked up only when a word is not a built-in (or for the root's help). */
export interface ExtraCommands {
  commands(): Record<string, AnyCommand>;
  /** Why the plugin that would provide `verb` is broken, or null. */
  brokenFor(verb: string): string | null;
  /** One line per broken plugin, shown with `hm --help`. */
  warnings(): string[];
}

interface CliOptions {
  version: string;
  /** The plugin verbs, given the invocation's logger. */
  extra?: (log: Logger) => ExtraCommands;
}

/** Runs hm with `argv` (without the executable) and returns the exit code. */
export async function runCli(root: AnyCommand, argv: string[], options: CliOptions): Promise<number> {
  const dashes = argv.indexOf("--");
  const builtins = await subCommandsOf(root);
  const references = takeReferenceGlobals(
    dashes < 0 ? argv : argv.slice(0, dashes),
    new Set(Object.keys(builtins)),
  );
  const head = references.tokens;
  const tail = dashes < 0 ? [] : argv.slice(dashes);
  const isGlobal = (t: string) => t === "-v" || t === "--verbose" || t === "--no-color";
  // hm's own flags may follow a built-in command; after a plugin verb they belong to the plugin.
  const wordAt = head.findIndex((t) => !t.startsWith("-"));
  const pluginVerb = wordAt >= 0 && !((head[wordAt] as string) in builtins);
  const globalZone = pluginVerb ? head.slice(0, wordAt) : head;
  const verbose = globalZone.includes("-v") || globalZone.includes("--verbose");
  const log = createLogger({ verbose });
  const extra = options.extra?.(log);
  if (globalZone.includes("--no-color")) disableColor();

  try {
    if (references.error !== undefined) throw references.error;
    if (globalZone.includes("--version") || globalZone.includes("-V")) {
      await writeStdout(`hm ${options.version}\n`);
      return ExitCode.ok;
    }
    const ownTokens = pluginVerb
      ? [...globalZone.filter((t) => !isGlobal(t)), ...head.slice(wordAt)]
      : head.filter((t) => !isGlobal(t));
    const tokens = [...ownTokens, ...tail];
    const resolved = await resolveChain(root, tokens, extra);
    const wantsHelp =
      resolved.helpWord ||
      resolved.rest.some((t, i) => (t === "-h" || t === "--help") && i < indexOrEnd(resolved.rest, "--"));
    const atRoot = resolved.chain.length === 1;
    // `hm nosuch --help` shows hm's help; `hm help nosuch` asks about that command, which does not exist.
    if (resolved.unknown !== undefined && (!wantsHelp || resolved.helpWord)) {
      const broken = atRoot ? (extra?.brokenFor(resolved.unknown) ?? null) : null;
      if (broken !== null) {
        throw new HmError("E_PLUGIN_LOAD", broken, {
          hint: "hm plugin list shows every plugin and why one is broken",
        });
      }
      const parent = resolved.names.join(" ");
      const last = resolved.chain[resolved.chain.length - 1] as AnyCommand;
      const listed = await subCommandsOf(atRoot ? await withExtra(last, extra) : last);
      const available = (await visibleSubCommands(listed)).map((c) => c.name);
      throw new HmError(
        "E_UNKNOWN_COMMAND",
        `unknown command '${resolved.unknown}'${didYouMean(resolved.unknown, atRoot ? [...available, "help"] : available)}\n  available: [${available.join(", ")}]`,
        {
          hint:
            resolved.chain.length === 1
              ? "hm plugin install <ref> to add a plugin that provides this command"
              : `${parent} --help lists its commands`,
        },
      );
    }
    const leaf = resolved.chain[resolved.chain.length - 1] as AnyCommand;
    if (wantsHelp || (leaf.run === undefined && resolved.rest.length === 0)) {
      if (atRoot) {
        resolved.chain[0] = await withExtra(root, extra);
        for (const warning of extra?.warnings() ?? []) log.warn(warning);
      }
      await writeStdout(await usageOf(resolved));
      return ExitCode.ok;
    }
    if (leaf.run === undefined) {
      throw new HmError("E_USAGE", `'${resolved.names.join(" ")}' needs a command`, {
        hint: `${resolved.names.join(" ")} --help lists them`,
      });
    }
    checkArgs(resolved.names.join(" "), await argsOf(leaf), resolved.rest);
    const data: HmCommandData = {
      log,
      ...(references.apiUrl === undefined ? {} : { apiUrl: references.apiUrl }),
    };
    startupDone();
    const { result } = await span(`hm ${resolved.names.slice(1).join(" ")}`, () =>
      runCommand(leaf, { rawArgs: resolved.rest, data }),
    );
    return typeof result === "number" ? result : ExitCode.ok;
  } catch (error) {
    await printError(asHmError(error), verbose);
    return error instanceof HmError
      ? error.exitCode
      : isCittyError(error)
        ? ExitCode.usage
        : ExitCode.buildFailed;
  }
}

/** The root with plugin verbs added, for help and the unknown-command list. */
async function withExtra(root: AnyCommand, extra: ExtraCommands | undefined): Promise<AnyCommand> {
  if (extra === undefined) return root;
  return { ...root, subCommands: { ...(await subCommandsOf(root)), ...extra.commands() } };
}

function indexOrEnd(list: readonly string[], item: string): number {
  const i = list.indexOf(item);
  return i < 0 ? list.length : i;
}

function isCittyError(error: unknown): error is Error {
  return error instanceof Error && error.name === "CLIError";
}

/** citty's own errors (missing positional, bad enum value) are usage errors. */
function asHmError(error: unknown): unknown {
  if (!isCittyError(error)) return error;
  const message = Bun.stripANSI(error.message).replace(
    /^Missing required positional argument: (\w+)$/,
    (_, n: string) => {
      return `missing required argument <${n}>`;
    },
  );
  return new HmError("E_USAGE", message, { hint: "add --help to see the command's arguments" });
}
