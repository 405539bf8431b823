/**
 * Lifecycle hook dispatch (`docs/plugin-abi.md`; `docs/design.md`, "Hooks"). Each hook
 * plugin gets one worker of its own (never the step pool: steps cannot
 * starve hooks, nor hooks deadlock `--parallelism 1`), so one plugin's hook
 * calls are serialized.
 *
 * - `before` hooks are awaited, in plugin order, within their `timeout_ms`;
 *   the first `abort` (or an error or timeout, which count as an abort)
 *   fails the build through `onAbort`.
 * - `after` hooks are bus consumers: each sees its kinds in order from its
 *   own queue, one event per call, except that a hook taking `step_logs`
 *   (protocol 3) gets the step_log lines waiting in its queue in one call (up
 *   to STEP_LOGS_MAX). A slow hook receives events late (step_log lines
 *   possibly after their step ended); it never slows the steps. An error or
 *   timeout is reported and the build goes on.
 * Hooks see the protocol-2 event; `step_skipped` is not sent to them.
 */
import { messageOf } from "../errors.ts";
import { type Logger, pluginTextWriter } from "../log.ts";
import { callPlugin, type PluginCall } from "../plugins/plugin-call.ts";
import type { PluginEntry } from "../plugins/registry.ts";
import { WorkerPool } from "../plugins/worker-pool.ts";
import type { StepLogLine } from "../protocol/hook.ts";
import {
  decodeHookOutcome,
  encodeHookEvent,
  type HookEventKind,
  type HookOutcome,
  type HookPhase,
} from "../protocol/index.ts";
import { onTrack } from "../trace/tracer.ts";
import type { EventConsumer } from "./event-bus.ts";
import { type HmEvent, type HmEventKind, toProtocolEvent } from "./events.ts";

/** step_log lines in one `step_logs` call at most (a slow hook gets batches up to this size). */
const STEP_LOGS_MAX = 4096;

interface HookCallContext {
  readonly runId: string;
  readonly kvPath: string;
  readonly configDir: string | null;
  readonly archives: Readonly<Record<string, string>>;
}

interface Hook {
  readonly plugin: PluginEntry;
  readonly kinds: ReadonlySet<HookEventKind>;
  readonly phase: HookPhase;
  readonly timeoutMs: number;
}

interface Abort {
  readonly plugin: string;
  readonly reason: string;
}

/** The message a `before` abort fails the build with (`docs/design.md`, "Events and their order"). */
export function abortMessage(abort: Abort): string {
  return `build aborted by plugin '${abort.plugin}': ${abort.reason}`;
}

export class HookDispatcher {
  private readonly hooks: Hook[];
  private readonly pools = new Map<string, WorkerPool>();
  private readonly inFlight = new Set<{ cancel(): void }>();
  private cancelled = false;

  constructor(
    plugins: readonly PluginEntry[],
    private readonly context: HookCallContext,
    /** A hook failure that does not abort (an `after` hook's error or timeout). */
    private readonly report: (message: string) => void,
    /** Where plugin text goes with the run's log lines. */
    private readonly log: Logger,
  ) {
    this.hooks = plugins.flatMap((plugin) =>
      plugin.manifest.capabilities.flatMap((c) =>
        c.kind === "lifecycle_hook"
          ? [{ plugin, kinds: new Set(c.events), phase: c.phase, timeoutMs: c.timeout_ms }]
          : [],
      ),
    );
  }

  /** The event kinds some `before` hook subscribed to. */
  beforeKinds(): Set<HmEventKind> {
    // step_logs is after-only (validateManifest refuses it in a before hook).
    return new Set(
      this.hooks
        .filter((h) => h.phase === "before")
        .flatMap((h) =>
          [...h.kinds].filter((k): k is Exclude<HookEventKind, "step_logs"> => k !== "step_logs"),
        ),
    );
  }

  /** Runs the `before` hooks of `event`; resolves to the first abort, or null. */
  async before(event: HmEvent): Promise<Abort | null> {
    const protocol = toProtocolEvent(event);
    if (protocol === null) return null;
    for (const hook of this.hooks) {
      if (hook.phase !== "before" || !hook.kinds.has(event.kind as HookEventKind)) continue;
      const outcome = await this.call(
        hook,
        event.kind,
        encodeHookEvent({ event: protocol, phase: "before" }),
      );
      if (this.cancelled) return null; // the user's cancel already decides the build
      if ("failure" in outcome) return { plugin: hook.plugin.name, reason: outcome.failure };
      if (outcome.kind === "abort") return { plugin: hook.plugin.name, reason: outcome.reason };
    }
    return null;
  }

  /** One bus consumer per `after` hook. */
  afterConsumers(): EventConsumer[] {
    return this.hooks
      .filter((h) => h.phase === "after")
      .map((hook): EventConsumer => {
        const afterCall = async (kind: string, input: Uint8Array) => {
          // One track per after hook: its calls follow one another (`docs/design.md`, "Tracing").
          const outcome = await onTrack(`hook ${hook.plugin.name} (after)`, () =>
            this.call(hook, kind, input),
          );
          if ("failure" in outcome) this.report(outcome.failure);
          else if (outcome.kind === "abort")
            this.report(`hook '${hook.plugin.name}' asked to abort on ${kind} (after hooks cannot abort)`);
        };
        const takesLines = hook.kinds.has("step_logs");
        const consumer: EventConsumer = {
          name: `hook '${hook.plugin.name}'`,
          wants: (kind) => hook.kinds.has(kind as HookEventKind) || (takesLines && kind === "step_log"),
          deliver: async (event: HmEvent) => {
            if (!hook.kinds.has(event.kind as HookEventKind)) return;
            const protocol = toProtocolEvent(event);
            if (protocol === null) return;
            await afterCall(event.kind, encodeHookEvent({ event: protocol, phase: "after" }));
          },
        };
        if (!takesLines) return consumer;
        return {
          ...consumer,
          batch: {
            max: STEP_LOGS_MAX,
            accepts: (event) => event.kind === "step_log",
            deliver: (events) => {
              const lines = events.flatMap((e): StepLogLine[] =>
                e.kind === "step_log"
                  ? [{ step_id: e.step_id, stream: e.stream, line: e.line, ts: e.ts }]
                  : [],
              );
              return afterCall(
                "step_logs",
                encodeHookEvent({ event: { kind: "step_logs", lines }, phase: "after" }),
              );
            },
          },
        };
      });
  }

  /** The user cancelled: running hook calls see keep_going 0; their timeouts are not reported. */
  cancelAll(): void {
    this.cancelled = true;
    for (const call of this.inFlight) call.cancel();
  }

  /** Waits for hook calls still running, then stops the hook workers. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }

  private pool(plugin: PluginEntry): WorkerPool {
    let pool = this.pools.get(plugin.name);
    if (pool === undefined) {
      pool = new WorkerPool(1);
      this.pools.set(plugin.name, pool);
    }
    return pool;
  }

  private async call(
    hook: Hook,
    kind: string,
    input: Uint8Array,
  ): Promise<HookOutcome | { failure: string }> {
    let call: PluginCall<HookOutcome>;
    const text = pluginTextWriter(this.log);
    try {
      call = callPlugin(
        this.pool(hook.plugin),
        hook.plugin,
        "onHookEvent",
        input,
        { ...this.context, stepId: null },
        decodeHookOutcome,
        this.log,
        { onWrite: text.write },
      );
      call.result.then(text.flush, text.flush); // a last line without a newline still shows
    } catch (error) {
      return { failure: `hook '${hook.plugin.name}' could not be called on ${kind}: ${messageOf(error)}` };
    }
    if (this.cancelled) call.cancel();
    this.inFlight.add(call);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), hook.timeoutMs);
    });
    try {
      const outcome = await Promise.race([call.result, timedOut]);
      if (outcome !== "timeout") return outcome;
      // The plugin may still be running: stop it, and give its worker up so the next event has one.
      call.result.catch(() => {}); // abandoning rejects it; nobody waits for it any more
      call.cancel();
      call.abandon();
      // After a Ctrl-C a hook that did not return in time is no news: the build is already cancelled.
      if (this.cancelled) return { kind: "continue" };
      return { failure: `hook '${hook.plugin.name}' timed out after ${hook.timeoutMs}ms on ${kind}` };
    } catch (error) {
      return { failure: `hook '${hook.plugin.name}' failed on ${kind}: ${messageOf(error)}` };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(call);
    }
  }
}
