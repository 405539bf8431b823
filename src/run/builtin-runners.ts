/**
 * The runners built into hm, one registration line each. Each runner lives
 * in its own folder and implements `BuiltinRunner` (src/runner/contract.ts);
 * it is loaded only when a run, `hm gc` or a dead run's cleanup needs it, so
 * listing the names (completion, plugin conflicts) costs nothing. The first
 * is the default runner when no plugin declares one.
 */
import type { BuiltinRunner } from "../runner/contract.ts";

export interface RegisteredRunner {
  readonly name: string;
  /** What `hm plugin info <name>` says it does. */
  readonly description: string;
  load(): Promise<BuiltinRunner>;
}

export const BUILTIN_RUNNERS: readonly RegisteredRunner[] = [
  {
    name: "docker",
    description:
      "Built into hm: runs each step with sh -c in a container of its image (default ubuntu:24.04) on the Docker engine at DOCKER_HOST, else /var/run/docker.sock; caches steps as images",
    load: () => import("../docker/runner.ts").then((m) => m.dockerRunner),
  },
];

/** The names of the built-in runners; a plugin claiming one conflicts. */
export const BUILTIN_RUNNER_NAMES: readonly string[] = BUILTIN_RUNNERS.map((r) => r.name);

/** The runner of steps that name none, unless `--runner` or a plugin's `default: true` says otherwise. */
export const DEFAULT_BUILTIN_RUNNER: string = BUILTIN_RUNNERS[0]?.name ?? "docker";
