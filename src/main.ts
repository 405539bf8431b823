#!/usr/bin/env bun
/**
 * hm's entry point: run the CLI, then exit with its code. Commands that run
 * plugin code or a build (`hm run`, plugin verbs) run in a supervised child
 * (src/supervise/), so their verdict survives whatever that code does.
 */
import { INTERNAL_VERBS } from "./cli/internal-verbs.ts";
import { BUILTIN_COMMANDS } from "./cli/root.ts";

const argv = process.argv.slice(2);
const internal = INTERNAL_VERBS[argv[0] ?? ""];
const code =
  internal !== undefined
    ? await internal(argv.slice(1))
    : supervised(argv)
      ? await (await import("./supervise/supervisor.ts")).superviseBuild(argv)
      : await (await import("./cli/run-hm.ts")).runHm(argv);
process.exit(code);

/** `hm run …` and a plugin verb (a word that is no built-in command), unless only help is asked. */
function supervised(args: readonly string[]): boolean {
  const dashes = args.indexOf("--");
  const head = dashes < 0 ? args : args.slice(0, dashes);
  if (head.some((t) => t === "-h" || t === "--help" || t === "-V" || t === "--version")) return false;
  const word = head.find((t) => !t.startsWith("-"));
  return word !== undefined && (word === "run" || !(word in BUILTIN_COMMANDS));
}
