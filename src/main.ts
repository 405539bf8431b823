#!/usr/bin/env bun
/** hm's entry point: run the CLI, then exit with its code. */
import { pluginExtra } from "./cli/plugin-extra.ts";
import { COMPLETE_VERB, root } from "./cli/root.ts";
import { runCli } from "./cli/run-cli.ts";
import { HM_VERSION } from "./version.ts";

const argv = process.argv.slice(2);
const code =
  argv[0] === COMPLETE_VERB
    ? await import("./cli/commands/complete.ts").then((m) => m.printCompletions(argv.slice(1)))
    : await runCli(root, argv, { version: HM_VERSION, extra: pluginExtra(argv) });
process.exit(code);
