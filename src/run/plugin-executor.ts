/** A step executor backed by a native plugin's `execute_step`, called on the worker pool. */
import { callPlugin } from "../plugins/plugin-call.ts";
import type { PluginEntry } from "../plugins/registry.ts";
import type { WorkerPool } from "../plugins/worker-pool.ts";
import { decodeStepResult, encodeExecutorInput } from "../protocol/index.ts";
import type { Executor } from "./scheduler.ts";

export interface PluginExecutorContext {
  readonly pool: WorkerPool;
  readonly kvPath: string;
  /** The project's `.hm/`, for fs_read_config. */
  readonly configDir: string | null;
  /** Archive id → tar file, for archive_read. */
  readonly archives: Readonly<Record<string, string>>;
}

const utf8 = new TextDecoder();

export function pluginExecutor(
  plugin: PluginEntry,
  runner: string,
  context: PluginExecutorContext,
): Executor {
  return {
    name: runner,
    execute(input, onLog) {
      const call = callPlugin(
        context.pool,
        plugin,
        "executeStep",
        encodeExecutorInput(input),
        {
          runId: input.run_id,
          stepId: input.step_id,
          configDir: context.configDir,
          archives: context.archives,
          kvPath: context.kvPath,
        },
        decodeStepResult,
        {
          // One line per call; a trailing newline from the plugin is not part of the line.
          onStepLog: (stream, line) =>
            onLog(stream === 0 ? "stdout" : "stderr", utf8.decode(line).replace(/\r?\n$/, "")),
        },
      );
      return call;
    },
  };
}
