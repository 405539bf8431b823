#!/usr/bin/env bun
/** hm's entry point: run the CLI, then exit with its code. */
import { root } from "./cli/root.ts";
import { runCli } from "./cli/run-cli.ts";
import { HM_VERSION } from "./version.ts";

const code = await runCli(root, process.argv.slice(2), { version: HM_VERSION });
process.exit(code);
