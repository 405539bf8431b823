/**
 * One plugin method called through the worker pool, with its output decoded
 * and every failure turned into an error that names the plugin and method:
 * a PluginError the plugin returned, output that does not decode, a host
 * function that failed, a worker that died. What the plugin emits reaches the
 * handlers under flow control, and a call given up on still publishes the
 * step lines it emitted (call-output.ts).
 */
import { HmError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { DecodeError, levelFromWire } from "../protocol/index.ts";
import { spanUntil } from "../trace/tracer.ts";
import type { CallContext } from "./call-context.ts";
import { CallOutput, deliverEntries } from "./call-output.ts";
import { HM_OK, Method, type MethodName } from "./host-table.ts";
import { describePluginError } from "./manifest-reader.ts";
import type { PluginEntry } from "./registry.ts";
import type { CallHandlers, WorkerPool } from "./worker-pool.ts";

const METHOD_LABEL: Record<MethodName, string> = {
  manifest: "manifest",
  executeStep: "execute_step",
  onHookEvent: "on_hook_event",
  runSubcommand: "run_subcommand",
};

export interface PluginCall<T> {
  readonly result: Promise<T>;
  cancel(): void;
  abandon(): void;
}

/** A plugin's log record, to `log` (tagged with the plugin's name: printed as `[plugin] message`). */
function logFromPlugin(log: Logger, level: number, message: string): void {
  const name = levelFromWire(level) ?? "error";
  if (name === "trace" || name === "debug") log.debug(message);
  else if (name === "info") log.info(message);
  else if (name === "warn") log.warn(message);
  else log.error(message);
}

export function callPlugin<T>(
  pool: WorkerPool,
  plugin: PluginEntry,
  method: MethodName,
  input: Uint8Array,
  context: Omit<CallContext, "cancelSlot" | "pluginName">,
  decode: (bytes: Uint8Array) => T,
  log: Logger,
  handlers: CallHandlers = {},
): PluginCall<T> {
  const label = METHOD_LABEL[method];
  const output = CallOutput.claim();
  // Made when the plugin first logs: most calls never do, and a tagged logger per call costs time on each.
  let tagged: Logger | undefined;
  const h: CallHandlers = {
    onLog: (level, message) => {
      tagged ??= log.withTag(plugin.name);
      logFromPlugin(tagged, level, message);
    },
    ...handlers,
  };
  const pending = pool.call(
    plugin.path,
    Method[method],
    input,
    { ...context, pluginName: plugin.name, ...(output === null ? {} : { outputSlot: output.slot }) },
    output === null ? h : { ...h, onHandled: (bytes) => output.handledBytes(bytes) },
  );
  const ended = () => output?.free();
  pending.result.then(ended, ended);
  pending.result.then(...spanUntil(`plugin ${plugin.name} ${label}`, { plugin: plugin.name, method: label }));
  const fail = (what: string) =>
    new HmError("E_PLUGIN_RUNTIME", `plugin '${plugin.name}' failed during '${label}': ${what}`);
  const result = pending.result.then(
    (outcome) => {
      for (const hostError of outcome.hostErrors)
        log.warn(`plugin '${plugin.name}': host function ${hostError}`);
      if (outcome.output === null) throw fail(`it returned no result (status ${outcome.status})`);
      if (outcome.status !== HM_OK) throw fail(describePluginError(outcome.output));
      try {
        return decode(outcome.output);
      } catch (error) {
        if (error instanceof DecodeError) throw fail(`its output could not be decoded (${error.message})`);
        throw error;
      }
    },
    (error: unknown) => {
      throw fail(`it could not be called: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  const abandon = () => {
    // The worker is stuck in native code with the records and lines it had not posted yet: the
    // pool publishes those it took from the tail earlier, then the rest follow.
    const tail = output?.abandon();
    pending.abandon();
    if (tail) deliverEntries(tail, h.onLog, h.onStepLog);
  };
  return { result, cancel: pending.cancel, abandon };
}
