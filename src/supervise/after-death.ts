/**
 * A build child that died without its verdict: say what was running (the
 * plugin, its method and step; or the pipeline files being loaded), clean
 * its run up as a cancel would (process groups, containers and ephemeral
 * images, files, KV rows), and choose the exit code, never 0:
 * - stopped by Ctrl-C/SIGTERM (a forced or immediate exit): 130, or 143;
 * - a plugin call was running: 6 (E_PLUGIN_RUNTIME);
 * - pipeline files were loading: 2 (E_PIPELINE_RENDER);
 * - anything else: 1 (E_INTERNAL, hm's own fault).
 */
import { HmError, messageOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import { Method } from "../plugins/host-table.ts";
import type { InFlightCall } from "../report-channel/call-table.ts";
import { stopCode } from "../signals.ts";

/** What the supervisor knew of the child when it died (its ChildState, read only here: no import back). */
interface DeadChild {
  /** The pipeline directory being loaded, until loading ended (undefined: not loading). */
  readonly loading: string | null | undefined;
  readonly run: { readonly id: string; readonly docker: boolean } | null;
  readonly verbScope: string | null;
  /** Plugin calls in flight when the child died. */
  readonly calls: readonly InFlightCall[];
}

interface ChildEnd {
  readonly exitCode: number;
  /** The signal that killed it (e.g. SIGSEGV), or null when it exited. */
  readonly signal: string | null;
  /** A Ctrl-C or SIGTERM reached hm before the child ended. */
  readonly stopRequested: boolean;
  readonly terminated: boolean;
}

const METHOD_LABELS: Record<number, string> = {
  [Method.manifest]: "manifest",
  [Method.executeStep]: "execute_step",
  [Method.onHookEvent]: "on_hook_event",
  [Method.runSubcommand]: "run_subcommand",
};

/** Prints an error the way the CLI prints every error (given by it: this layer imports no CLI). */
type PrintError = (error: HmError) => Promise<void>;

/** How the supervisor speaks: hm's error printer and a logger, both the CLI layer's. */
export interface SupervisorOutput {
  readonly printError: PrintError;
  readonly log: Logger;
}

export async function afterDeath(state: DeadChild, end: ChildEnd, output: SupervisorOutput): Promise<number> {
  const stopped = end.stopRequested && end.signal === null;
  // Named before the cleanup, which may take seconds (a commit in flight).
  if (!stopped) await output.printError(deathError(state, end));
  // The child can no longer reap its own steps, and its terminal view may have hidden the cursor.
  if (process.stderr.isTTY) process.stderr.write("\x1b[?25h");
  try {
    await cleanUp(state);
  } catch (error) {
    output.log.warn(`cleaning up after the build: ${messageOf(error)} (hm gc removes the rest)`);
  }
  if (stopped) return stopCode(end.terminated);
  return deathError(state, end).exitCode;
}

function deathError(state: DeadChild, end: ChildEnd): HmError {
  const how =
    end.signal !== null ? `crashed (${end.signal})` : `ended the process (exit code ${end.exitCode})`;
  const cleaned =
    state.run !== null ? "the build's other steps were stopped and cleaned up as on cancel" : undefined;
  const calls = state.calls;
  if (calls.length > 0) {
    return new HmError("E_PLUGIN_RUNTIME", culprit(calls, how), {
      hint: [cleaned, "a plugin's crash or exit() ends the process it runs in; report it to its author"]
        .filter(Boolean)
        .join("; "),
    });
  }
  if (state.loading !== undefined) {
    const where = state.loading === null ? "the pipeline file" : `the pipeline files in ${state.loading}`;
    return new HmError("E_PIPELINE_RENDER", `${where} ${how} while loading`, {
      hint: "a pipeline module must not end the process (process.exit) or crash it",
    });
  }
  return new HmError("E_INTERNAL", `hm's build process ${how} before its verdict`, {
    ...(cleaned === undefined ? {} : { hint: cleaned }),
  });
}

type Call = InFlightCall;

const methodOf = (call: Call) => METHOD_LABELS[call.method] ?? `method ${call.method}`;
const stepOf = (call: Call) => (call.step === null ? "" : ` of step '${call.step}'`);

/**
 * Who ended the process. Which thread crashed is not known from outside, so
 * with several calls in flight they are all named, honestly as candidates.
 */
function culprit(calls: readonly Call[], how: string): string {
  const plugins = [...new Set(calls.map((c) => c.plugin))];
  const methods = [...new Set(calls.map(methodOf))];
  const first = calls[0] as Call;
  if (calls.length === 1) return `plugin '${first.plugin}' ${how} during ${methodOf(first)}${stepOf(first)}`;
  if (plugins.length === 1 && methods.length === 1) {
    const steps = calls.filter((c) => c.step !== null).map((c) => `'${c.step}'`);
    const which = steps.length === calls.length ? ` of one of the steps ${steps.join(", ")}` : "";
    return `plugin '${first.plugin}' ${how} during ${methodOf(first)}${which}`;
  }
  const running = calls.map((c) => `plugin '${c.plugin}' (${methodOf(c)}${stepOf(c)})`).join(", ");
  return `a plugin ${how}; running then: ${running}`;
}

async function cleanUp(state: DeadChild): Promise<void> {
  const [{ forgetRuns }, { kvDatabasePath }, { BUILTIN_RUNNERS }, { loadRunners, reapLeftovers }] =
    await Promise.all([
      import("../run/run-records.ts"),
      import("../plugins/paths.ts"),
      import("../run/builtin-runners.ts"),
      import("../run/reap.ts"),
    ]);
  if (state.verbScope !== null) forgetRuns(kvDatabasePath(), [{ runId: state.verbScope, stepIds: [] }]);
  if (state.run === null) return;
  const report = await reapLeftovers({
    scope: { runId: state.run.id },
    // The report says whether a built-in runner ran steps, not which: each is asked for this run's leftovers.
    runners: state.run.docker ? await loadRunners(BUILTIN_RUNNERS) : [],
    // A commit the engine was making when the child died lands later: wait for it, as hm gc would.
    waitForInFlight: true,
    kvPath: kvDatabasePath(),
  });
  for (const runner of report.runners)
    if ("skipped" in runner) throw new Error(`${runner.runner}: ${runner.skipped}`);
}
