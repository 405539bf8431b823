/** A step executor backed by a native plugin's `execute_step`, called on the worker pool. */

import { messageOf } from "../errors.ts";
import { type Logger, pluginTextWriter } from "../log.ts";
import { KvStore } from "../plugins/kv-store.ts";
import { callPlugin } from "../plugins/plugin-call.ts";
import type { PluginEntry } from "../plugins/registry.ts";
import type { WorkerPool } from "../plugins/worker-pool.ts";
import { BUILDS_IN_CHILDREN_KEY, encodeBuildsInChildren } from "../protocol/host-kv.ts";
import {
  type BuildEvent,
  decodeBuildEvent,
  decodeStepResult,
  encodeExecutorInput,
} from "../protocol/index.ts";
import type { Executor, StepHints } from "../runner/contract.ts";

interface PluginExecutorContext {
  readonly pool: WorkerPool;
  readonly kvPath: string;
  /** The project's `.hm/`, for fs_read_config. */
  readonly configDir: string | null;
  /** Archive id → tar file, for archive_read. */
  readonly archives: Readonly<Record<string, string>>;
  /** Where the executor's notes and the plugin's log records go. */
  readonly log: Logger;
}

const utf8 = new TextDecoder();
const BUILDS_IN_CHILDREN = new TextEncoder().encode(BUILDS_IN_CHILDREN_KEY);

/** One connection per KV database for the process (a run uses one database). */
const stores = new Map<string, KvStore>();

/**
 * The step-scope entries hm promises a runner (src/protocol/host-kv.ts), written before the call
 * so the plugin reads them like any KV entry. A single small row on the main thread: the worker
 * that serves the plugin's kv_get reads the same WAL database.
 */
function setHostEntries(kvPath: string, stepId: string, hints: StepHints): void {
  let store = stores.get(kvPath);
  if (store === undefined) {
    store = new KvStore(kvPath);
    stores.set(kvPath, store);
  }
  store.set("step", stepId, BUILDS_IN_CHILDREN, encodeBuildsInChildren(hints.buildsInChildren));
}

export function pluginExecutor(
  plugin: PluginEntry,
  runner: string,
  context: PluginExecutorContext,
): Executor {
  const logger = context.log;
  return {
    name: runner,
    execute(input, onLog, hints) {
      // Without hints (an executor called outside the scheduler) the entry is absent: "unknown".
      if (hints !== undefined) setHostEntries(context.kvPath, input.step_id, hints);
      const text = pluginTextWriter(logger);
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
        logger,
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
              logger.warn(
                `plugin '${plugin.name}' emitted an event that does not decode: ${messageOf(error)}`,
              );
              return;
            }
            if (event.kind === "step_log" && event.step_id === input.step_id) onLog(event.stream, event.line);
            else logger.debug(`plugin '${plugin.name}' emitted a ${event.kind} event; ignored`);
          },
        },
      );
      call.result.then(text.flush, text.flush); // a last line without a newline still shows
      return call;
    },
  };
}
