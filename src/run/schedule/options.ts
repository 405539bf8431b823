/** What `schedule` is given and what it returns (see `../scheduler.ts`). */
import type { GraphIR } from "../../protocol/ir.ts";
import type { Executor } from "../../runner/contract.ts";
import type { BuildSource } from "../build-source.ts";
import type { HmEvent, Selection } from "../events.ts";

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
  /**
   * `hm run --secret`: on top of that in what a step runs with, but never in
   * a cache request (`docs/design.md`, "Secrets").
   */
  readonly secretEnv?: Readonly<Record<string, string>>;
  readonly emit: (event: HmEvent) => void;
  /** Recorded in build_start (`hm run -b/-m`). */
  readonly source?: BuildSource;
  /** The user's cancel (Ctrl-C, SIGTERM). */
  readonly signal?: AbortSignal;
  /** How long a stopped step may take to return before it is abandoned. */
  readonly stopGraceMs?: number;
  /**
   * `before` hooks of build_start, step_queued and step_start, awaited before
   * the event is emitted (and the build or step begins): a message aborts the build.
   */
  readonly gate?: (event: HmEvent) => Promise<string | null>;
  /** `hm run --only`: the graph is that part of the pipeline; build_start and build_end say so. */
  readonly selection?: Selection;
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
