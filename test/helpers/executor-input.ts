/** A realistic ExecutorInput for runtime tests, with fresh ids each call. */
import type { ExecutorInput } from "../../src/protocol/index.ts";

export function executorInput(
  key: string,
  options: {
    env?: Record<string, string>;
    runner?: string;
    cmd?: string;
    runnerArgs?: ExecutorInput["step"]["runner_args"];
  } = {},
): ExecutorInput {
  return {
    step: {
      key,
      label: null,
      cmd: options.cmd ?? "true",
      builds_in: null,
      image: null,
      env: null,
      timeout_seconds: null,
      cache: null,
      runner: options.runner ?? "noop",
      runner_args: options.runnerArgs ?? { region: "eu", retries: 2 },
    },
    workspace_archive_id: crypto.randomUUID(),
    env: options.env ?? {},
    workdir: "/workspace",
    run_id: crypto.randomUUID(),
    step_id: crypto.randomUUID(),
    cache_lookup: { kind: "miss_no_commit" },
    parent_snapshot: null,
  };
}

/** The call context a run gives executeStep for `input`: its run and step, no archives, a KV database at `kvPath`. */
export function executeStepContext(input: ExecutorInput, kvPath: string) {
  return { runId: input.run_id, stepId: input.step_id, configDir: null, archives: {}, kvPath };
}
