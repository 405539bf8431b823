/**
 * The dataflow scheduler (`docs/design.md`, "Events and their order"): a step starts
 * once every predecessor passed, at most `parallelism` at a time; its
 * builds_in parent's snapshot is its `parent_snapshot`. A failure cancels the
 * run unless keep-going (then only dependants are skipped). Step and pipeline
 * timeouts and the user's cancel stop running steps through their executor.
 * Exactly one terminal event per step; the build exit code follows the
 * first rule that applies: cancelled 130, plugin error 6, pipeline timeout
 * 124, a step failed 1, a step timed out 124, else 0.
 *
 * Dispatch is incremental, so a run costs time linear in steps + edges
 * (a 50 000-step cancel is one pass, not one pass per event): each step
 * counts the predecessors it still waits for; a step whose count reaches
 * zero joins the ready queue, one whose predecessor ended without passing
 * joins the doomed queue, and a stop sweeps every step still pending once.
 * Both queues yield steps in topological order, so `pump` acts exactly as a
 * scan of every step in that order would: skips and starts interleaved by
 * position, a skip cascading to dependants later in the same pass.
 */
import { ExitCode, messageOf } from "../errors.ts";
import type { CommandStep, ExecutorInput } from "../protocol/index.ts";
import type { GraphIR, GraphStep } from "../protocol/ir.ts";
import type { CacheDecision, Executor, StepExecution } from "../runner/contract.ts";
import { graphFacts } from "./chains.ts";
import { displayName, type HmEvent, type SkipReason } from "./events.ts";
import { IndexHeap } from "./index-heap.ts";

/** The runner contract lives in src/runner/contract.ts; re-exported for the scheduler's callers. */
export type {
  CacheDecision,
  CacheRequest,
  Executor,
  StepExecution,
  StepHints,
} from "../runner/contract.ts";

export interface ScheduleOptions {
  readonly graph: GraphIR;
  readonly runId: string;
  readonly archiveId: string;
  readonly parallelism: number;
  readonly keepGoing: boolean;
  readonly defaultRunner: string;
  /** The executor of each node, resolved (and checked) before the run starts. */
  readonly executors: readonly Executor[];
  /** `hm run -e KEY=VALUE`: on top of every step's env. */
  readonly extraEnv: Readonly<Record<string, string>>;
  readonly emit: (event: HmEvent) => void;
  /** The user's cancel (Ctrl-C, SIGTERM). */
  readonly signal?: AbortSignal;
  /** How long a stopped step may take to return before it is abandoned. */
  readonly stopGraceMs?: number;
  /**
   * `before` hooks of build_start, step_queued and step_start, awaited before
   * the event is emitted (and the build or step begins): a message aborts the build.
   */
  readonly gate?: (event: HmEvent) => Promise<string | null>;
  /** Aborts the build from outside (a `before` hook of a later event); the reason is the message. */
  readonly abortSignal?: AbortSignal;
}

export interface ScheduleResult {
  readonly exitCode: number;
  /** Plugin failures, named by plugin and method, to print after the build. */
  readonly errors: string[];
  /** Why a `before` hook aborted the build, or null. */
  readonly aborted: string | null;
  /** The step execution ids (their step-scope KV owners), in node order. */
  readonly stepIds: readonly string[];
  /**
   * How many times dispatch looked at a step or an edge: at most a few per
   * step and edge however the run goes (tests check it stays linear).
   */
  readonly dispatchVisits: number;
}

type Outcome = "passed" | "failed" | "timed_out" | "cancelled" | "errored" | "skipped";

export async function schedule(options: ScheduleOptions): Promise<ScheduleResult> {
  const { graph, emit } = options;
  const nodes = graph.graph.nodes;
  const facts = graphFacts(graph);
  const started = Date.now();
  const stepIds = nodes.map(() => crypto.randomUUID());
  const outcome: (Outcome | "pending" | "running")[] = nodes.map(() => "pending");
  /** Steps without a final outcome yet. */
  let unfinished = nodes.length;
  /** Per step, the predecessors that have not passed yet. */
  const waitingOn = facts.predecessors.map((p) => p.length);
  /** Per step, 1 once a predecessor ended without passing: it will be skipped. */
  const blocked = new Uint8Array(nodes.length);
  /** Positions (in `facts.order`) of pending steps whose predecessors all passed. */
  const ready = new IndexHeap();
  /** Positions of pending steps with a blocked predecessor. */
  const doomed = new IndexHeap();
  /** Set once a stop skipped every pending step: nothing is pending after that. */
  let swept = false;
  let dispatchVisits = 0;
  waitingOn.forEach((count, i) => {
    if (count === 0) ready.push(facts.position[i] as number);
  });
  const snapshots: (string | null)[] = nodes.map(() => null);
  /** Running steps: how to stop each (cancel now, abandon after the grace period). */
  const running = new Map<number, () => void>();
  const errors: string[] = [];
  let stopping: "failure" | "user" | "pipeline_timeout" | "aborted" | null = null;
  let aborted: string | null = null;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const abortWith = (message: string) => {
    aborted ??= message;
    stopAll("aborted");
  };
  /** Runs the gate (if any) on an event the scheduler is about to emit. */
  const gated = async (event: HmEvent): Promise<void> => {
    if (options.gate === undefined || aborted !== null) return;
    const message = await options.gate(event);
    if (message !== null) abortWith(message);
  };

  const buildStart: HmEvent = {
    kind: "build_start",
    run_id: options.runId,
    plan: { step_count: nodes.length, chain_count: facts.chainCount, default_runner: options.defaultRunner },
    started_at: started,
  };
  await gated(buildStart);
  emit(buildStart);
  for (const i of facts.order) {
    const step = nodes[i]?.step as GraphStep;
    const parent = facts.buildsInParent[i];
    const queued: HmEvent = {
      kind: "step_queued",
      step_id: stepIds[i] as string,
      key: step.key,
      chain_idx: facts.positionInChain[i] as number,
      parent_key: parent === null || parent === undefined ? null : (nodes[parent]?.step.key ?? null),
      display_name: displayName(step.label, step.cmd),
    };
    await gated(queued);
    emit(queued);
  }

  function stopAll(why: NonNullable<typeof stopping>): void {
    if (stopping === null || (why === "aborted" && stopping === "failure")) stopping = why;
    for (const stop of running.values()) stop();
  }
  const onAbort = () => {
    stopping = "user";
    stopAll("user");
    pump();
  };
  options.signal?.addEventListener("abort", onAbort);
  if (options.signal?.aborted) onAbort();
  const onHookAbort = () => {
    abortWith(String(options.abortSignal?.reason));
    pump();
  };
  options.abortSignal?.addEventListener("abort", onHookAbort);
  if (options.abortSignal?.aborted) abortWith(String(options.abortSignal.reason));
  const pipelineTimer =
    graph.timeout_seconds !== undefined
      ? setTimeout(() => {
          stopAll("pipeline_timeout");
          pump();
        }, graph.timeout_seconds * 1000)
      : undefined;

  /** Gives step `i` its final outcome and tells its dependants: one more passed, or doomed. */
  function conclude(i: number, final: Outcome): void {
    outcome[i] = final;
    unfinished--;
    for (const next of facts.successors[i] ?? []) {
      dispatchVisits++;
      if (final === "passed") {
        waitingOn[next] = (waitingOn[next] as number) - 1;
        if (waitingOn[next] === 0 && blocked[next] === 0) ready.push(facts.position[next] as number);
      } else if (blocked[next] === 0) {
        blocked[next] = 1;
        doomed.push(facts.position[next] as number);
      }
    }
  }

  function skip(i: number, reason: SkipReason): void {
    conclude(i, "skipped");
    emit({ kind: "step_skipped", step_id: stepIds[i] as string, key: nodes[i]?.step.key as string, reason });
  }

  function pump(): void {
    const slots = Math.max(1, options.parallelism);
    while (stopping === null) {
      // The lower position first, as a scan in topological order would meet them.
      const nextDoomed = doomed.peek();
      const nextReady = running.size < slots ? ready.peek() : undefined;
      if (nextDoomed === undefined && nextReady === undefined) break;
      if (nextReady === undefined || (nextDoomed !== undefined && nextDoomed < nextReady)) {
        doomed.pop();
        dispatchVisits++;
        const i = facts.order[nextDoomed as number] as number;
        if (outcome[i] === "pending") skip(i, "dependency failed");
        continue;
      }
      ready.pop();
      dispatchVisits++;
      const i = facts.order[nextReady] as number;
      if (outcome[i] !== "pending") continue;
      const executor = options.executors[i] as Executor;
      if (options.gate === undefined && executor.cacheLookup === undefined)
        start(i, { kind: "miss_no_commit" });
      else void prepareThenStart(i);
    }
    if (stopping !== null && !swept) {
      swept = true;
      for (const i of facts.order) {
        dispatchVisits++;
        // Read each time: a cancel during the sweep turns the rest into "cancelled".
        if (outcome[i] === "pending") skip(i, stopping === "failure" ? "dependency failed" : "cancelled");
      }
      ready.clear();
      doomed.clear();
    }
    if (running.size === 0 && unfinished === 0) finish();
  }

  /**
   * Holds the step's slot while the cache is asked and its step_start `before`
   * hooks run: a cache hit ends the step at once; an abort skips it.
   */
  async function prepareThenStart(i: number): Promise<void> {
    outcome[i] = "running";
    running.set(i, () => {});
    const node = nodes[i] as GraphIR["graph"]["nodes"][number];
    const executor = options.executors[i] as Executor;
    let decision: CacheDecision = { kind: "miss_no_commit" };
    let message: string | null = null;
    try {
      if (executor.cacheLookup !== undefined) {
        const parent = facts.buildsInParent[i];
        decision = await executor.cacheLookup({
          step: node.step,
          env: stepEnv(i),
          parentKey: parent === null || parent === undefined ? null : (nodes[parent]?.step.key ?? null),
        });
      }
      if (decision.kind !== "hit" && options.gate !== undefined && aborted === null) {
        message = await options.gate({
          kind: "step_start",
          step_id: stepIds[i] as string,
          runner: executor.name,
          image: node.step.image ?? null,
        });
      }
    } catch (error) {
      message = `step '${node.step.key}': ${messageOf(error)}`;
      errors.push(message);
    }
    running.delete(i);
    if (message !== null) abortWith(message);
    if (stopping !== null) {
      skip(i, stopping === "failure" ? "dependency failed" : "cancelled");
    } else if (decision.kind === "hit") {
      snapshots[i] = decision.tag;
      conclude(i, "passed");
      emit({
        kind: "step_cache_hit",
        step_id: stepIds[i] as string,
        key: node.step.cache?.key ?? "",
        tag: decision.tag,
      });
    } else {
      start(i, decision);
    }
    pump();
  }

  function stepEnv(i: number): Record<string, string> {
    return { ...nodes[i]?.env, ...options.extraEnv };
  }

  function start(i: number, cacheLookup: CacheDecision): void {
    const node = nodes[i] as GraphIR["graph"]["nodes"][number];
    const executor = options.executors[i] as Executor;
    const stepId = stepIds[i] as string;
    const parent = facts.buildsInParent[i];
    outcome[i] = "running";
    emit({ kind: "step_start", step_id: stepId, runner: executor.name, image: node.step.image ?? null });
    const input: ExecutorInput = {
      step: toCommandStep(
        node.step,
        parent === null || parent === undefined ? null : (nodes[parent]?.step.key ?? null),
      ),
      workspace_archive_id: options.archiveId,
      env: stepEnv(i),
      workdir: "/workspace",
      run_id: options.runId,
      step_id: stepId,
      cache_lookup: cacheLookup,
      parent_snapshot: parent === null || parent === undefined ? null : (snapshots[parent] ?? null),
    };
    const stepStarted = Date.now();
    const children = facts.buildsInChildren[i] ?? [];
    let execution: StepExecution;
    try {
      execution = executor.execute(
        input,
        (stream, line) => emit({ kind: "step_log", step_id: stepId, stream, line, ts: Date.now() }),
        {
          snapshotNeeded: children.length > 0,
          buildsInChildren: children.map((c) => nodes[c]?.step.key as string),
        },
      );
    } catch (error) {
      // An executor that throws before it starts is a failed step like any other, never a hang.
      execution = { result: Promise.reject(error), cancel() {} };
    }
    let timedOut = false;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    let abandon!: (value: "abandoned") => void;
    const abandoned = new Promise<"abandoned">((resolve) => {
      abandon = resolve;
    });
    // Stopping asks the executor to end the step; one that never returns is abandoned after the grace period.
    const stop = () => {
      execution.cancel();
      graceTimer ??= setTimeout(() => {
        execution.abandon?.();
        abandon("abandoned");
      }, options.stopGraceMs ?? 5000);
    };
    running.set(i, stop);
    const timeout = node.step.timeout_seconds;
    const timer =
      timeout !== undefined
        ? setTimeout(() => {
            timedOut = true;
            stop();
          }, timeout * 1000)
        : undefined;

    Promise.race([execution.result, abandoned])
      .then(
        (result) => ({ result, error: null as string | null }),
        (error: unknown) => ({ result: null, error: messageOf(error) }),
      )
      .then(({ result, error }) => {
        clearTimeout(timer);
        clearTimeout(graceTimer);
        running.delete(i);
        const end = (exitCode: number, snapshot: string | null = null) =>
          emit({
            kind: "step_end",
            step_id: stepId,
            exit_code: exitCode,
            duration_ms: Date.now() - stepStarted,
            snapshot,
          });
        const chainFailed = (exitCode: number, message: string) =>
          emit({
            kind: "chain_failed",
            chain_idx: facts.chainOf[i] as number,
            failed_step_id: stepId,
            failed_step_key: node.step.key,
            exit_code: exitCode,
            message,
            ts: Date.now(),
          });
        if (error !== null) {
          conclude(i, "errored");
          errors.push(error);
          end(1);
          chainFailed(1, error);
          if (!options.keepGoing) stopAll("failure");
        } else if (timedOut) {
          conclude(i, "timed_out");
          end(ExitCode.timedOut);
          chainFailed(ExitCode.timedOut, `step '${node.step.key}' timed out after ${timeout}s`);
          if (!options.keepGoing) stopAll("failure");
        } else if (stopping !== null && stopping !== "failure") {
          conclude(i, "cancelled");
          end(ExitCode.cancelled);
        } else if (result === "abandoned" || result === null) {
          conclude(i, "cancelled");
          end(ExitCode.cancelled);
        } else if (result.exit_code === 0) {
          snapshots[i] = result.committed_snapshot;
          conclude(i, "passed");
          end(0, result.committed_snapshot);
        } else if (stopping === "failure" && result.exit_code === ExitCode.cancelled) {
          conclude(i, "cancelled");
          end(ExitCode.cancelled);
        } else {
          conclude(i, "failed");
          end(result.exit_code);
          chainFailed(result.exit_code, `step '${node.step.key}' exited with code ${result.exit_code}`);
          if (!options.keepGoing) stopAll("failure");
        }
        pump();
      });
  }

  pump();
  await finished;
  clearTimeout(pipelineTimer);
  options.signal?.removeEventListener("abort", onAbort);
  options.abortSignal?.removeEventListener("abort", onHookAbort);
  const exitCode = buildExitCode(stopping, outcome, errors.length > 0);
  emit({ kind: "build_end", exit_code: exitCode, duration_ms: Date.now() - started });
  return { exitCode, errors, aborted, stepIds, dispatchVisits };
}

function buildExitCode(stopping: string | null, outcome: string[], pluginError: boolean): number {
  if (stopping === "user") return ExitCode.cancelled;
  if (stopping === "aborted") return ExitCode.buildFailed;
  if (pluginError) return ExitCode.pluginRuntime;
  if (stopping === "pipeline_timeout") return ExitCode.timedOut;
  if (outcome.includes("failed")) return ExitCode.buildFailed;
  if (outcome.includes("timed_out")) return ExitCode.timedOut;
  return ExitCode.ok;
}

/** The protocol's CommandStep for a graph node (`builds_in` restored from the edge). */
function toCommandStep(step: GraphStep, buildsIn: string | null): CommandStep {
  return {
    key: step.key,
    label: step.label ?? null,
    cmd: step.cmd,
    builds_in: buildsIn,
    image: step.image ?? null,
    env: step.env ?? null,
    timeout_seconds: step.timeout_seconds ?? null,
    cache: step.cache ? { policy: step.cache.policy, key: step.cache.key ?? null } : null,
    runner: step.runner ?? null,
    runner_args: (step.runner_args ?? null) as CommandStep["runner_args"],
  };
}
