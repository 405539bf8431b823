/**
 * The built-in `docker` runner as the runner contract sees it: connecting
 * pings the engine (exit 4 when it does not answer), a run gets the docker
 * executor, and what dead runs left in the engine (containers, ephemeral
 * images, commits that landed late, replaced cache entries) is its to reap.
 */
import type { BuiltinRunner, Reaped } from "../runner/contract.ts";
import { forecastCache } from "./cache-forecast.ts";
import { dockerExecutor } from "./docker-executor.ts";
import { connectEngine } from "./engine.ts";
import { COMMIT_WAIT_MS, type EngineReap, reapEngine, reapOneRun } from "./gc.ts";

export const dockerRunner: BuiltinRunner = {
  name: "docker",
  async connect() {
    const engine = await connectEngine();
    return {
      open(context) {
        const executor = dockerExecutor({ engine, ...context });
        return { executor, finish: () => executor.finish() };
      },
      async reap(scope, waitForInFlight) {
        const waitMs = waitForInFlight ? COMMIT_WAIT_MS : 0;
        const reaped =
          scope.kind === "run"
            ? await reapOneRun(engine, scope.runId, waitMs)
            : await reapEngine(engine, scope.live, waitMs);
        return counts(reaped);
      },
      forecast: (projectRoot, requests) => forecastCache(engine, projectRoot, requests),
    };
  },
};

/** In the order `hm gc` prints them. */
function counts(reaped: EngineReap): Reaped[] {
  return [
    { what: "containers", count: reaped.containers },
    { what: "ephemeral images", count: reaped.images },
    { what: "stale cache entries", count: reaped.staleCacheEntries },
  ];
}
