/** Plugin verbs offered to the CLI frame (run-cli.ts), loaded only when needed. */
import type { Logger } from "../log.ts";
import type { AnyCommand } from "./command-args.ts";
import { pluginCommands } from "./plugin-commands.ts";
import { pluginRegistry } from "./plugin-registry.ts";
import type { ExtraCommands } from "./run-cli.ts";

/** `-d DIR` / `--dir DIR` / `--dir=DIR` from raw argv, so plugins are found in the project a command targets. */
function dirFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") break;
    if (token === "-d" || token === "--dir") return argv[i + 1];
    if (token.startsWith("--dir=")) return token.slice("--dir=".length);
  }
  return undefined;
}

export function pluginExtra(argv: readonly string[], log: Logger): ExtraCommands {
  const dir = dirFromArgv(argv);
  let commands: Record<string, AnyCommand> | undefined;
  return {
    commands: () => {
      commands ??= pluginCommands(pluginRegistry(log, dir));
      return commands;
    },
    brokenFor: (verb) => {
      const broken = pluginRegistry(log, dir).brokenClaiming(verb);
      return broken === undefined ? null : `${broken.reason} (${broken.path})`;
    },
    warnings: () => pluginRegistry(log, dir).broken.map((b) => `broken plugin ${b.path}: ${b.reason}`),
  };
}
