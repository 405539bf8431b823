/**
 * `hm plugin info <built-in runner>`: the runner described in the shape of a
 * plugin manifest (the JSON `hm plugin info` prints for a plugin), marked
 * `built_in`, so scripts that read a runner's manifest read this one too.
 */
import type { RegisteredRunner } from "../run/builtin-runners.ts";
import { HM_VERSION } from "../version.ts";

export function builtinRunnerInfo(runner: RegisteredRunner, isDefault: boolean): Record<string, unknown> {
  return {
    name: runner.name,
    version: HM_VERSION,
    built_in: true,
    description: runner.description,
    capabilities: [{ kind: "step_executor", runner: runner.name, default: isDefault, step_schema: null }],
    config_schema: null,
  };
}
