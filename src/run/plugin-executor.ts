/** A step executor backed by a native plugin's `execute_step`, called on the worker pool. */

import { messageOf } from "../errors.ts";
import { log, pluginTextWriter } from "../log.ts";
import { callPlugin } from "../plugins/plugin-call.ts";
import type { PluginEntry } from "../plugins/registry.ts";
import type { WorkerPool } from "../plugins/worker-pool.ts";
import {
  type BuildEvent,
  decodeBuildEvent,
  decodeStepResult,
  encodeExecutorInput,
} from "../protocol/index.ts";
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
      const text = pluginTextWriter();
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
          onWrite: text.write,
          onEvent: (bytes) => {
            // A runner may report its step's log lines as events; anything else is the scheduler's to say.
            let event: BuildEvent;
            try {
              event = decodeBuildEvent(bytes);
            } catch (error) {
              log().warn(
                `plugin '${plugin.name}' emitted an event that does not decode: ${messageOf(error)}`,
              );
              return;
            }
            if (event.kind === "step_log" && event.step_id === input.step_id) onLog(event.stream, event.line);
            else log().debug(`plugin '${plugin.name}' emitted a ${event.kind} event; ignored`);
          },
        },
      );
      call.result.then(text.flush, text.flush); // a last line without a newline still shows
      return call;
    },
  };
}
