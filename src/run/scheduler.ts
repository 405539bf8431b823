/**
 * The dataflow scheduler (`docs/design.md`, "Events and their order"): a step
 * starts once every predecessor passed, at most `parallelism` at a time; its
 * builds_in parent's snapshot is its `parent_snapshot`. A failure stops the
 * build unless keep-going (then only dependants are skipped). Step and
 * pipeline timeouts, a hook's abort and the user's cancel stop running steps
 * through their executor, which gets a grace period before it is abandoned.
 * Exactly one terminal event per step; the build exit code follows the first
 * rule that applies: cancelled 130, aborted by a hook 1, plugin error 6,
 * pipeline timeout 124, a step failed 1, a step timed out 124, else 0.
 *
 * The parts, under `schedule/`: the states of a step and the dispatch queues
 * (`step-states.ts`), the states of the build and the exit code
 * (`build-state.ts`), one step's run (`step-run.ts`), and the dispatcher that
 * moves steps between states and emits their events (`dispatcher.ts`). This
 * file is the build's life: announce, listen for stops, dispatch, end.
 */
import { Dispatcher } from "./schedule/dispatcher.ts";
import type { ScheduleOptions, ScheduleResult } from "./schedule/options.ts";

/** The runner contract lives in src/runner/contract.ts; re-exported for the scheduler's callers. */
export type {
  CacheDecision,
  CacheRequest,
  Executor,
  StepExecution,
  StepHints,
} from "../runner/contract.ts";
export type { ScheduleOptions, ScheduleResult } from "./schedule/options.ts";

export async function schedule(options: ScheduleOptions): Promise<ScheduleResult> {
  const run = new Dispatcher(options);
  const started = Date.now();
  await run.announce(started);
  const stopListeners = listenForStops(options, run);
  run.pump();
  await run.finished;
  stopListeners.remove();
  const exitCode = run.build.exitCode(run.steps);
  options.emit({
    kind: "build_end",
    exit_code: exitCode,
    duration_ms: Date.now() - started,
    ...(options.selection === undefined ? {} : { selection: options.selection }),
  });
  return {
    exitCode,
    errors: run.build.errors,
    aborted: run.build.aborted,
    stepIds: run.stepIds,
    dispatchVisits: run.steps.visits,
  };
}

/**
 * What stops the build from outside the steps: the user's cancel, a hook's
 * abort and the pipeline timeout. Each stops the build and pumps, which
 * sweeps the steps not started.
 */
function listenForStops(options: ScheduleOptions, run: Dispatcher): { remove(): void } {
  const { signal, abortSignal } = options;
  const onCancel = () => {
    run.build.cancel();
    run.pump();
  };
  signal?.addEventListener("abort", onCancel);
  if (signal?.aborted) onCancel();
  const onHookAbort = () => {
    run.build.abort(String(abortSignal?.reason));
    run.pump();
  };
  abortSignal?.addEventListener("abort", onHookAbort);
  // Before the first pump, which sweeps: no pump needed here.
  if (abortSignal?.aborted) run.build.abort(String(abortSignal.reason));
  const timeoutSeconds = options.graph.timeout_seconds;
  const pipelineTimer =
    timeoutSeconds !== undefined
      ? setTimeout(() => {
          run.build.stop("pipeline_timeout");
          run.pump();
        }, timeoutSeconds * 1000)
      : undefined;
  return {
    remove() {
      clearTimeout(pipelineTimer);
      signal?.removeEventListener("abort", onCancel);
      abortSignal?.removeEventListener("abort", onHookAbort);
    },
  };
}
