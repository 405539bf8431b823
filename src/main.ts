#!/usr/bin/env bun
/**
 * hm's entry point: run the CLI, then exit with its code. Commands that run
 * plugin code or a build (`hm run`, plugin verbs) run in a supervised child
 * (src/supervise/), so their verdict survives whatever that code does.
 */
import { INTERNAL_VERBS } from "./cli/internal-verbs.ts";
import { silenceUrlParseDeprecation } from "./cli/quiet-warnings.ts";
import { BUILTIN_COMMANDS } from "./cli/root.ts";
import { exitRequested } from "./signals.ts";
import { startupDone } from "./trace/tracer.ts";

// Every process hm starts may reach dockerode (the supervisor's cleanup after a build died, too).
silenceUrlParseDeprecation();
const argv = process.argv.slice(2);
// A forced or immediate stop (src/signals.ts) does not wait for the command: hm exits here.
const code = await Promise.race([command(argv), exitRequested().then((request) => request.code)]);
process.exit(code);

function command(args: string[]): Promise<number> {
  const internal = INTERNAL_VERBS[args[0] ?? ""];
  if (internal !== undefined) return internal(args.slice(1));
  const isSupervised = supervised(args);
  const dispatch = () =>
    isSupervised ? supervise(args) : import("./cli/run-hm.ts").then((m) => m.runHm(args));
  if (!args.some((t) => t.startsWith("--debug-trace"))) return dispatch();
  return import("./cli/debug-trace.ts").then((m) => m.tracedCommand(args, isSupervised, dispatch));
}

async function supervise(args: string[]): Promise<number> {
  const [{ superviseBuild }, { printError }, { createLogger }] = await Promise.all([
    import("./supervise/supervisor.ts"),
    import("./cli/output.ts"),
    import("./log.ts"),
  ]);
  // The child has the command's flags; the supervisor only warns.
  const log = createLogger({ verbose: false });
  startupDone();
  return superviseBuild(args, { printError: (error) => printError(error, false), log });
}

/** `hm run …` and a plugin verb (a word that is no built-in command), unless only help is asked. */
function supervised(args: readonly string[]): boolean {
  const dashes = args.indexOf("--");
  const head = dashes < 0 ? args : args.slice(0, dashes);
  if (head.some((t) => t === "-h" || t === "--help" || t === "-V" || t === "--version")) return false;
  const word = head.find((t) => !t.startsWith("-"));
  return word !== undefined && (word === "run" || !(word in BUILTIN_COMMANDS));
}
