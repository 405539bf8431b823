/**
 * The one reap sequence, shared by `hm gc`, the start of `hm run` and the
 * supervisor's cleanup after a build process died: first the run records
 * (process groups the runners recorded, the runners' run directories, the
 * run directory, the runs' KV rows), then each built-in runner's own store
 * (the docker runner's containers and images). A runner that cannot be
 * reached is reported as skipped, never fatal: what it holds waits for the
 * next reap.
 */
import { messageOf } from "../errors.ts";
import type { BuiltinRunner, ConnectedRunner, Reaped, ReapScope } from "../runner/contract.ts";
import type { RegisteredRunner } from "./builtin-runners.ts";
import { forgetRuns, liveRunIds, type ReapedRun, reapDeadRuns, reapRun } from "./run-records.ts";

type RunnerReap =
  | { readonly runner: string; readonly reaped: readonly Reaped[] }
  | { readonly runner: string; readonly skipped: string };

interface ReapReport {
  /** The runs whose records were removed. */
  readonly runs: readonly ReapedRun[];
  readonly runners: readonly RunnerReap[];
}

interface ReapOptions {
  /** Every run that is over, or one run known to be over. */
  readonly scope: "over" | { readonly runId: string };
  /** The built-in runners whose stores to reap. */
  readonly runners: readonly BuiltinRunner[];
  /** Wait for work a dead run left in flight (a commit the engine is still making), or leave it to the next reap. */
  readonly waitForInFlight: boolean;
  /** At most this many dead runs' records per call (`hm gc`: all). */
  readonly limit?: number;
  readonly kvPath: string;
  readonly env?: NodeJS.ProcessEnv;
}

export async function reapLeftovers(options: ReapOptions): Promise<ReapReport> {
  const env = options.env ?? process.env;
  const runs =
    options.scope === "over" ? reapDeadRuns(env, options.limit) : [reapRun(options.scope.runId, env)];
  forgetRuns(options.kvPath, runs);
  if (options.runners.length === 0) return { runs, runners: [] };
  const scope: ReapScope =
    options.scope === "over"
      ? { kind: "over", live: liveRunIds(env) }
      : { kind: "run", runId: options.scope.runId };
  const runners: RunnerReap[] = [];
  for (const runner of options.runners) {
    try {
      const connected = await runner.connect();
      runners.push({ runner: runner.name, reaped: await connected.reap(scope, options.waitForInFlight) });
    } catch (error) {
      runners.push({ runner: runner.name, skipped: messageOf(error) });
    }
  }
  return { runs, runners };
}

/** Loads registered built-in runners (each from its own folder). */
export function loadRunners(registered: readonly RegisteredRunner[]): Promise<BuiltinRunner[]> {
  return Promise.all(registered.map((r) => r.load()));
}

/** A runner already connected for this run, so reaping it does not connect again. */
export function alreadyConnected(name: string, connected: ConnectedRunner): BuiltinRunner {
  return { name, connect: async () => connected };
}
