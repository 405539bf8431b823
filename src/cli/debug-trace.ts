/**
 * `--debug-trace PATH` (`docs/design.md`, "Tracing"): main.ts asks
 * `tracedCommand` to run the command with the trace this hm owns; a build
 * child joins its supervisor's (`joinSupervisorTrace`). The path is read as
 * the CLI frame reads it (reference-globals.ts); a missing value is left to
 * the frame to report.
 */
import { ExitCode, HmError } from "../errors.ts";
import { joinTrace, openTraceSession } from "../trace/session.ts";
import { HM_VERSION } from "../version.ts";
import { printError } from "./output.ts";
import { takeReferenceGlobals } from "./reference-globals.ts";
import { BUILTIN_COMMANDS } from "./root.ts";

function tracePathOf(args: readonly string[]): string | undefined {
  const dashes = args.indexOf("--");
  const head = dashes < 0 ? args : args.slice(0, dashes);
  return takeReferenceGlobals(head, new Set(Object.keys(BUILTIN_COMMANDS))).debugTrace;
}

/** Runs `command` recording a trace into the path `args` give; the trace is written whatever the command's end. */
export async function tracedCommand(
  args: readonly string[],
  supervised: boolean,
  command: () => Promise<number>,
): Promise<number> {
  const path = tracePathOf(args);
  if (path === undefined) return command();
  let session: ReturnType<typeof openTraceSession>;
  try {
    session = openTraceSession(path, supervised ? "hm (supervisor)" : "hm");
  } catch (error) {
    await printError(error, false);
    return error instanceof HmError ? error.exitCode : ExitCode.usage;
  }
  let code: number = ExitCode.buildFailed;
  try {
    code = await command();
    return code;
  } finally {
    // A Ctrl-C that reaches hm once its command has ended (the supervisor no longer forwards it)
    // must not end the process halfway through writing what the command recorded.
    const hold = () => {};
    process.on("SIGINT", hold);
    process.on("SIGTERM", hold);
    try {
      session.finish({ hm_version: HM_VERSION, exit_code: String(code) });
    } catch (error) {
      await printError(error, false);
    } finally {
      process.off("SIGINT", hold);
      process.off("SIGTERM", hold);
    }
  }
}

/** In a build child: append to the trace of the supervisor (pid `ownerPid`), if its arguments asked for one. */
export function joinSupervisorTrace(argv: readonly string[], ownerPid: number): void {
  if (tracePathOf(argv) !== undefined) joinTrace(ownerPid, "hm (build child)");
}
