/**
 * hm's CLI with its plugin verbs, loaded on demand: main.ts reaches it only
 * for commands it runs itself, so a supervisor (src/supervise/) never loads
 * the CLI frame or the plugin registry it does not use.
 */

import { HM_VERSION } from "../version.ts";
import { pluginExtra } from "./plugin-extra.ts";
import { silenceUrlParseDeprecation } from "./quiet-warnings.ts";
import { root } from "./root.ts";
import { runCli } from "./run-cli.ts";

export function runHm(argv: string[]): Promise<number> {
  // Before any command can reach dockerode (see quiet-warnings.ts).
  silenceUrlParseDeprecation();
  return runCli(root, argv, { version: HM_VERSION, extra: (log) => pluginExtra(argv, log) });
}
