/**
 * The runner contract: what every runner implements (the built-in `docker`
 * runner, and plugin runners through their `execute_step`) and what the
 * scheduler and the reaper ask of it. It sits between `protocol` (the data
 * shapes) and the runners: it imports nothing of ours but `protocol`, so a
 * runner never reaches up into `run/` (docs/design.md, "Layers").
 */
import type { CacheDecision, ExecutorInput, StdStream, StepResult } from "../protocol/index.ts";
import type { GraphStep } from "../protocol/ir.ts";

export type { CacheDecision };

export interface StepExecution {
  readonly result: Promise<StepResult>;
  /** Asks the executor to stop; the result still arrives (usually exit 130). */
  cancel(): void;
  /** Gives up on a step that did not stop within the grace period, freeing its slot. */
  abandon?(): void;
}

/** What the scheduler knows about a step that an executor may use. */
export interface StepHints {
  /** A builds_in child will boot from this step's snapshot. */
  readonly snapshotNeeded: boolean;
  /** The keys of the builds_in children that will boot from it, in pipeline order. */
  readonly buildsInChildren: readonly string[];
}

/** What a step will run with, as the cache needs it: the step, its merged env, its builds_in parent. */
export interface CacheRequest {
  readonly step: GraphStep;
  readonly env: Readonly<Record<string, string>>;
  readonly parentKey: string | null;
}

export interface Executor {
  readonly name: string;
  execute(
    input: ExecutorInput,
    onLog: (stream: StdStream, line: string) => void,
    hints?: StepHints,
  ): StepExecution;
  /**
   * The host-side cache decision for a step, asked before it starts; a hit
   * ends the step with `step_cache_hit`. Executors without it get
   * `miss_no_commit`.
   */
  cacheLookup?(request: CacheRequest): Promise<CacheDecision>;
}

/**
 * What a runner's cache would answer for a step, found without changing
 * anything (`hm run --dry-run`): a hit (the entry exists), a miss (the step
 * would run, then be kept under `tag`), unknown (the answer depends on
 * something the run settles first, such as an image still to be pulled), or
 * uncached (the step never has an entry), each with why.
 */
export type CacheForecast =
  | { readonly kind: "hit"; readonly tag: string }
  /** `tag`: where the entry would be kept, when already known. */
  | { readonly kind: "miss"; readonly tag: string | null; readonly reason: string }
  | { readonly kind: "unknown"; readonly reason: string }
  | { readonly kind: "uncached"; readonly reason: string };

/** The run a runner is opened for: its id and the packed working tree every root step starts from. */
export interface RunContext {
  readonly runId: string;
  readonly archivePath: string;
  readonly archivePaths: readonly string[];
  /** The project's root (a runner's cache may be scoped by it). */
  readonly projectRoot: string;
  /**
   * A file where a runner may keep what it derives from the archive's bytes, for the next
   * run whose archive is the same file (`docs/design.md`, "Reusing the last archive");
   * absent when the archive is not kept.
   */
  readonly archiveMemo?: string;
}

/** A runner opened for one run. */
export interface RunnerSession {
  readonly executor: Executor;
  /** Removes what this run made in the runner; called once, at the end of the run. */
  finish(): Promise<void>;
}

/**
 * Whose leftovers a reap removes: every run that is over (not in `live`, and
 * its hm process gone), or one run known to be over (its supervisor saw it die).
 */
export type ReapScope =
  | { readonly kind: "over"; readonly live: ReadonlySet<string> }
  | { readonly kind: "run"; readonly runId: string };

/** One count a reap reports, e.g. `{ what: "containers", count: 2 }` (`hm gc` prints each). */
export interface Reaped {
  readonly what: string;
  readonly count: number;
}

/** A built-in runner once what it needs answers (an engine, a daemon). */
export interface ConnectedRunner {
  open(context: RunContext): RunnerSession;
  /**
   * Removes what runs in `scope` left in the runner's own store (containers,
   * images). `waitForInFlight`: also wait, as long as the runner finds
   * reasonable, for work the dead runs left in flight (a commit the engine is
   * still making); without it, what lands later is the next reap's.
   */
  reap(scope: ReapScope, waitForInFlight: boolean): Promise<readonly Reaped[]>;
  /**
   * What the runner's step cache would answer for each request (the steps
   * it would run, parents before children), read-only: nothing is created,
   * pulled, tagged or removed. A runner without it keeps no cache.
   */
  forecast?(projectRoot: string, requests: readonly CacheRequest[]): Promise<CacheForecast[]>;
}

/**
 * A runner built into hm. Registered in `src/run/builtin-runners.ts`; a
 * plugin claiming its name conflicts.
 */
export interface BuiltinRunner {
  readonly name: string;
  /** Connects what the runner needs; throws an `HmError` when it cannot (the run stops before anything starts). */
  connect(): Promise<ConnectedRunner>;
}
