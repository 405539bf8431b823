#!/usr/bin/env bun
import { INTERNAL_VERBS } from "./cli/internal-verbs.ts";
/** hm's entry point: run the CLI, then exit with its code. */
import { pluginExtra } from "./cli/plugin-extra.ts";
import { root } from "./cli/root.ts";
import { runCli } from "./cli/run-cli.ts";
import { HM_VERSION } from "./version.ts";

const argv = process.argv.slice(2);
const internal = INTERNAL_VERBS[argv[0] ?? ""];
const code =
  internal !== undefined
    ? await internal(argv.slice(1))
    : await runCli(root, argv, { version: HM_VERSION, extra: pluginExtra(argv) });
process.exit(code);
