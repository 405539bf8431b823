/**
 * Moves the steps through their states (`step-states.ts`) while the build
 * (`build-state.ts`) runs: `pump` skips doomed steps and starts ready ones
 * while slots are free, a step's end settles it and pumps again, and once the
 * build stops the steps not started are swept. Each move of a step into a
 * terminal state emits its one terminal event: `step_end`, `step_cache_hit`
 * or `step_skipped`.
 */
import { messageOf } from "../../errors.ts";
import type { CacheDecision } from "../../protocol/index.ts";
import type { Executor, StepExecution } from "../../runner/contract.ts";
import { begin, type OpenSpan, onTrack, tracing } from "../../trace/tracer.ts";
import type { HmEvent, SkipReason } from "../events.ts";
import { BuildState } from "./build-state.ts";
import { at } from "./checked.ts";
import type { ScheduleOptions } from "./options.ts";
import { StepGraph } from "./step-graph.ts";
import { type Ended, executorInput, settlement, supervise } from "./step-run.ts";
import { StepStates } from "./step-states.ts";

/** How long a stopped step may take to return, unless the options say. */
const DEFAULT_STOP_GRACE_MS = 5000;

export class Dispatcher {
  private readonly graph: StepGraph;
  readonly steps: StepStates;
  readonly build = new BuildState();
  /** The step execution ids (their step-scope KV owners), in node order. */
  readonly stepIds: readonly string[];
  private readonly slots: number;
  private readonly done = Promise.withResolvers<void>();

  constructor(private readonly options: ScheduleOptions) {
    this.graph = new StepGraph(options.graph);
    this.steps = new StepStates(this.graph);
    this.stepIds = Array.from({ length: this.graph.size }, () => crypto.randomUUID());
    this.slots = Math.max(1, options.parallelism);
  }

  /** Resolves once no step holds a slot and every step is in a terminal state. */
  get finished(): Promise<void> {
    return this.done.promise;
  }

  /** build_start, then step_queued for every step in topological order, each through the gate. */
  async announce(startedAt: number): Promise<void> {
    const { options, graph } = this;
    const buildStart: HmEvent = {
      kind: "build_start",
      run_id: options.runId,
      plan: { step_count: graph.size, chain_count: graph.chainCount, default_runner: options.defaultRunner },
      started_at: startedAt,
      ...(options.selection === undefined ? {} : { selection: options.selection }),
      ...(options.source === undefined ? {} : { source: options.source }),
    };
    await this.gated(buildStart);
    options.emit(buildStart);
    for (const step of graph.order) {
      const queued: HmEvent = {
        kind: "step_queued",
        step_id: this.stepId(step),
        key: graph.step(step).key,
        chain_idx: graph.positionInChain(step),
        parent_key: graph.parentKey(step),
        display_name: graph.displayName(step),
      };
      await this.gated(queued);
      options.emit(queued);
    }
  }

  /** Acts on every step it can now; called after each change of state. */
  pump(): void {
    while (this.build.stopping === null) {
      const next = this.steps.next(this.build.running < this.slots);
      if (next === null) break;
      if (next.action === "skip") {
        this.skip(next.step, "dependency failed");
        continue;
      }
      this.steps.begin(next.step);
      const { step } = next;
      // Each step's spans on a track of its own (`docs/design.md`, "Tracing"): parallel steps side by side.
      const track = tracing() ? `step ${this.graph.step(step).key}` : "";
      if (this.options.gate === undefined && this.executor(step).cacheLookup === undefined) {
        onTrack(track, () => this.start(step, { kind: "miss_no_commit" }));
      } else {
        void onTrack(track, () => this.prepareThenStart(step));
      }
    }
    if (this.build.stopping !== null) this.steps.sweep((step) => this.skip(step, this.build.skipReason()));
    if (this.build.running === 0 && this.steps.done) this.done.resolve();
  }

  /** Runs the gate (if any) on an event about to be emitted; a message aborts the build. */
  private async gated(event: HmEvent): Promise<void> {
    if (this.options.gate === undefined || this.build.aborted !== null) return;
    const message = await this.options.gate(event);
    if (message !== null) this.build.abort(message);
  }

  /** A step not started → skipped, with its event. */
  private skip(step: number, reason: SkipReason): void {
    this.steps.skip(step);
    this.options.emit({
      kind: "step_skipped",
      step_id: this.stepId(step),
      key: this.graph.step(step).key,
      reason,
    });
  }

  /**
   * Holds the step's slot while the cache is asked and its step_start `before`
   * hooks run: a cache hit ends the step at once; a stop skips it.
   */
  private async prepareThenStart(step: number): Promise<void> {
    const { options, graph, build } = this;
    build.occupy(step, () => {});
    const executor = this.executor(step);
    let decision: CacheDecision = { kind: "miss_no_commit" };
    let message: string | null = null;
    try {
      if (executor.cacheLookup !== undefined) {
        const lookup = begin("cache lookup");
        decision = await executor.cacheLookup({
          step: graph.step(step),
          env: graph.env(step, options.extraEnv),
          parentKey: graph.parentKey(step),
        });
        lookup.end({ decision: decision.kind });
      }
      if (decision.kind !== "hit" && options.gate !== undefined && build.aborted === null) {
        message = await options.gate(this.stepStart(step, executor));
      }
    } catch (error) {
      message = `step '${graph.step(step).key}': ${messageOf(error)}`;
      build.errors.push(message);
    }
    build.release(step);
    if (message !== null) build.abort(message);
    if (build.stopping !== null) {
      this.skip(step, build.skipReason());
    } else if (decision.kind === "hit") {
      this.steps.pass(step, decision.tag);
      options.emit({
        kind: "step_cache_hit",
        step_id: this.stepId(step),
        key: graph.step(step).cache?.key ?? "",
        tag: decision.tag,
      });
    } else {
      this.start(step, decision);
    }
    this.pump();
  }

  /** Emits step_start and hands the step to its executor; its end settles it. */
  private start(step: number, cacheLookup: CacheDecision): void {
    const { options, graph } = this;
    const executor = this.executor(step);
    const stepId = this.stepId(step);
    options.emit(this.stepStart(step, executor));
    const parent = graph.parent(step);
    const input = executorInput(
      graph,
      step,
      options,
      stepId,
      cacheLookup,
      parent === null ? null : this.steps.snapshotOf(parent),
    );
    const startedAt = Date.now();
    const stepSpan = begin(`step ${graph.step(step).key}`, { runner: executor.name });
    let execution: StepExecution;
    try {
      execution = executor.execute(
        input,
        (stream, line) => options.emit({ kind: "step_log", step_id: stepId, stream, line, ts: Date.now() }),
        graph.hints(step),
      );
    } catch (error) {
      // An executor that throws before it starts is a failed step like any other, never a hang.
      execution = { result: Promise.reject(error), cancel() {} };
    }
    const run = supervise(
      execution,
      graph.step(step).timeout_seconds,
      options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
    );
    this.build.occupy(step, run.stop);
    void run.ended.then((ended) => this.settle(step, ended, startedAt, stepSpan));
  }

  /** running → its outcome: step_end, and chain_failed when it failed its chain. */
  private settle(step: number, ended: Ended, startedAt: number, stepSpan: OpenSpan): void {
    const { options, graph, build } = this;
    build.release(step);
    const stepId = this.stepId(step);
    const { key, timeout_seconds } = graph.step(step);
    const settled = settlement(ended, build.stopping, key, timeout_seconds);
    if (settled.outcome === "passed") this.steps.pass(step, settled.snapshot);
    else this.steps.end(step, settled.outcome);
    if (settled.error !== null) build.errors.push(settled.error);
    stepSpan.end({ outcome: settled.outcome, exit_code: settled.exitCode });
    options.emit({
      kind: "step_end",
      step_id: stepId,
      exit_code: settled.exitCode,
      duration_ms: Date.now() - startedAt,
      snapshot: settled.snapshot,
    });
    if (settled.failure !== null) {
      options.emit({
        kind: "chain_failed",
        chain_idx: graph.chainOf(step),
        failed_step_id: stepId,
        failed_step_key: key,
        exit_code: settled.exitCode,
        message: settled.failure,
        ts: Date.now(),
      });
      if (!options.keepGoing) build.stop("failure");
    }
    this.pump();
  }

  private stepStart(step: number, executor: Executor): HmEvent {
    return {
      kind: "step_start",
      step_id: this.stepId(step),
      runner: executor.name,
      image: this.graph.step(step).image ?? null,
    };
  }

  private executor(step: number): Executor {
    return at(this.options.executors, step, "executor");
  }

  private stepId(step: number): string {
    return at(this.stepIds, step, "step id");
  }
}
