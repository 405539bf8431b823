/**
 * One step's run in three parts: the input its executor is given, the
 * execution under the step's timeout and the stop grace period, and the
 * outcome it settles to.
 */
import { ExitCode, messageOf } from "../../errors.ts";
import type { CacheDecision, ExecutorInput, StepResult } from "../../protocol/index.ts";
import type { StepExecution } from "../../runner/contract.ts";
import type { StopReason } from "./build-state.ts";
import type { StepGraph } from "./step-graph.ts";
import type { RunOutcome } from "./step-states.ts";

/** What every step of one run shares. */
export interface RunInputs {
  readonly runId: string;
  readonly archiveId: string;
  readonly extraEnv: Readonly<Record<string, string>>;
  readonly secretEnv?: Readonly<Record<string, string>>;
}

export function executorInput(
  graph: StepGraph,
  step: number,
  run: RunInputs,
  stepId: string,
  cacheLookup: CacheDecision,
  parentSnapshot: string | null,
): ExecutorInput {
  return {
    step: graph.commandStep(step),
    workspace_archive_id: run.archiveId,
    env: { ...graph.env(step, run.extraEnv), ...run.secretEnv },
    workdir: "/workspace",
    run_id: run.runId,
    step_id: stepId,
    cache_lookup: cacheLookup,
    parent_snapshot: parentSnapshot,
  };
}

/** How an execution ended, as the scheduler sees it. */
export type Ending =
  | { readonly kind: "returned"; readonly result: StepResult }
  | { readonly kind: "threw"; readonly message: string }
  /** Stopped, and still not returned after the grace period. */
  | { readonly kind: "abandoned" };

export interface Ended {
  readonly ending: Ending;
  /** The step's own timeout fired (and stopped it). */
  readonly timedOut: boolean;
}

export interface Supervised {
  /** Asks the executor to end the step; one that has not returned after the grace period is abandoned. */
  readonly stop: () => void;
  /** How the execution ended, once it has; its timers are cleared by then. */
  readonly ended: Promise<Ended>;
}

export function supervise(
  execution: StepExecution,
  timeoutSeconds: number | undefined,
  graceMs: number,
): Supervised {
  let timedOut = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  let abandon = () => {};
  const abandoned = new Promise<"abandoned">((resolve) => {
    abandon = () => resolve("abandoned");
  });
  const stop = () => {
    execution.cancel();
    // A second stop (a timeout, then the build's) must not push the deadline back.
    graceTimer ??= setTimeout(() => {
      execution.abandon?.();
      abandon();
    }, graceMs);
  };
  const timer =
    timeoutSeconds !== undefined
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, timeoutSeconds * 1000)
      : undefined;
  const ended = (ending: Ending): Ended => {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    return { ending, timedOut };
  };
  return {
    stop,
    ended: Promise.race([execution.result, abandoned]).then(
      (result) => ended(result === "abandoned" ? { kind: "abandoned" } : { kind: "returned", result }),
      (error: unknown) => ended({ kind: "threw", message: messageOf(error) }),
    ),
  };
}

export interface Settlement {
  readonly outcome: RunOutcome | "passed";
  readonly exitCode: number;
  /** What a passed step committed for its builds_in children. */
  readonly snapshot: string | null;
  /** Why the step failed its chain (a `chain_failed`; without keep-going the build stops), or null. */
  readonly failure: string | null;
  /** The executor's own failure, for the build's plugin errors, or null. */
  readonly error: string | null;
}

/**
 * The first rule that applies: the executor threw → errored (1); the step's
 * timeout fired → timed_out (124); the user, a hook or the pipeline timeout
 * stopped the build, or the step was abandoned → cancelled (130); exit 0 →
 * passed; exit 130 while another step's failure stops the build → cancelled;
 * else failed, with its exit code.
 */
export function settlement(
  { ending, timedOut }: Ended,
  stopping: StopReason | null,
  key: string,
  timeoutSeconds: number | undefined,
): Settlement {
  const settled = (outcome: Settlement["outcome"], exitCode: number, failure: string | null = null) => ({
    outcome,
    exitCode,
    snapshot: null,
    failure,
    error: null,
  });
  if (ending.kind === "threw") return { ...settled("errored", 1, ending.message), error: ending.message };
  if (timedOut) {
    return settled("timed_out", ExitCode.timedOut, `step '${key}' timed out after ${timeoutSeconds}s`);
  }
  if ((stopping !== null && stopping !== "failure") || ending.kind === "abandoned") {
    return settled("cancelled", ExitCode.cancelled);
  }
  const { exit_code: exitCode, committed_snapshot: snapshot } = ending.result;
  if (exitCode === 0) return { ...settled("passed", 0), snapshot };
  if (stopping === "failure" && exitCode === ExitCode.cancelled)
    return settled("cancelled", ExitCode.cancelled);
  return settled("failed", exitCode, `step '${key}' exited with code ${exitCode}`);
}
