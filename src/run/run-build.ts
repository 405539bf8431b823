/**
 * One local build, start to end: resolve runners and connect the built-in
 * ones a step uses, reap dead runs (src/run/reap.ts), check runner_args
 * (all before anything starts), pack the workspace, open the runners, wire the event
 * bus (renderer, `after` hooks) and the `before` hook gate, run the
 * scheduler, wait for every consumer, then remove what the run created.
 * Signals follow `docs/design.md`, "Signals". Returns the process exit code.
 */
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import { ExitCode, HmError, messageOf } from "../errors.ts";
import { type Logger, routeLines } from "../log.ts";
import type { LoadedPipeline } from "../pipeline/load.ts";
import type { Project } from "../pipeline/project.ts";
import { kvDatabasePath } from "../plugins/paths.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import { WorkerPool } from "../plugins/worker-pool.ts";
import { forgetStep, nameStep, report } from "../report-channel/writer.ts";
import type { ConnectedRunner, Executor, RunnerSession } from "../runner/contract.ts";
import { runnerRunDirectory } from "../runner/run-directory.ts";
import { handleStopSignals } from "../signals.ts";
import { isTTY, paintFor } from "../term.ts";
import { BUILTIN_RUNNERS, DEFAULT_BUILTIN_RUNNER } from "./builtin-runners.ts";
import { EventBus } from "./event-bus.ts";
import type { HmEvent, HmEventKind } from "./events.ts";
import { historyLimitsFromEnv } from "./history/limits.ts";
import { logsCommand } from "./history/logs-command.ts";
import { type RunHistory, recordRun } from "./history/recorder.ts";
import { abortMessage, HookDispatcher } from "./hooks.ts";
import { pluginExecutor } from "./plugin-executor.ts";
import { alreadyConnected, reapLeftovers } from "./reap.ts";
import { formatBytes, formatDuration } from "./render/format.ts";
import { jsonRenderer } from "./render/json-renderer.ts";
import { type HumanRenderer, plainRenderer } from "./render/plain-renderer.ts";
import { progressRenderer } from "./render/progress-renderer.ts";
import { streamSink } from "./render/sink.ts";
import type { SummaryOptions } from "./render/summary.ts";
import { createRunDirectory, forgetRuns } from "./run-records.ts";
import { checkRunnerArgs } from "./runner-args.ts";
import { builtinsUsed, pluginRunnersUsed, resolveRunners } from "./runners.ts";
import { schedule } from "./scheduler.ts";
import { checkHostInstalls, ignoredOnHost } from "./shell-host.ts";
import { packWorkspace } from "./workspace/pack.ts";

type OutputFormat = "human" | "json";

interface RunBuildOptions {
  readonly project: Project;
  readonly pipeline: LoadedPipeline;
  readonly registry: PluginRegistry;
  readonly runnerFlag: string | undefined;
  readonly parallelism: number | undefined;
  readonly keepGoing: boolean;
  readonly format: OutputFormat;
  /** `--logs`: plain lines even on a terminal. */
  readonly logs: boolean;
  readonly extraEnv: Readonly<Record<string, string>>;
  /** `--allow-host-install`: toolchain steps may install software on this machine (shell runner). */
  readonly allowHostInstall: boolean;
  readonly log: Logger;
}

/** Events whose `before` hooks the scheduler awaits before it acts on them. */
const SCHEDULER_GATED: ReadonlySet<HmEventKind> = new Set(["build_start", "step_queued", "step_start"]);

export async function runBuild(options: RunBuildOptions): Promise<number> {
  const { graph } = options.pipeline;
  const choices = resolveRunners(graph, options.registry, {
    runnerFlag: options.runnerFlag,
    builtins: BUILTIN_RUNNERS,
    builtinDefault: DEFAULT_BUILTIN_RUNNER,
  });
  checkHostInstalls(graph, choices, options.allowHostInstall);
  // A built-in runner connects only when a step uses it; one that cannot stops the run now (docker: exit 4).
  const builtins = await Promise.all(
    builtinsUsed(choices).map(async (registered) => {
      const connected: ConnectedRunner = await (await registered.load()).connect();
      return { name: registered.name, connected };
    }),
  );
  // Dead runs' leftovers (their KV rows too); commits they left in flight are not waited for here:
  // the next reaper gets what lands later.
  await reapLeftovers({
    scope: "over",
    runners: builtins.map((b) => alreadyConnected(b.name, b.connected)),
    waitForInFlight: false,
    kvPath: kvDatabasePath(),
  });
  await checkRunnerArgs(graph, choices);
  const historyLimits = historyLimitsFromEnv();

  const runId = crypto.randomUUID();
  const runDir = createRunDirectory(
    runId,
    pluginRunnersUsed(choices).map((runner) => runnerRunDirectory(runner, runId)),
  );
  report({ t: "run", run: runId, docker: builtins.length > 0 });
  const human = options.format === "human";
  // Set once the bus exists; the summary names the saved log only while its recording is whole.
  let history: RunHistory | null = null;
  const fullLogCommand = (step: { readonly name: string }) =>
    history?.intact ? logsCommand(runId, step.name) : null;
  const renderer = human ? humanRenderer(options.logs, fullLogCommand) : null;
  const say = (line: string) => (renderer ? renderer.note(line) : process.stderr.write(`${line}\n`));
  const log = options.log;
  if (renderer) routeLines(log, (line) => renderer.note(line));
  const pool = new WorkerPool(parallelismOf(options.parallelism));
  let hooks: HookDispatcher | null = null;
  const sessions = new Map<string, RunnerSession>();
  const finishSessions = () => Promise.all([...sessions.values()].map((s) => s.finish().catch(() => {})));
  let bus: EventBus | null = null;
  const userCancel = new AbortController();
  const hookAbort = new AbortController();
  const signals = handleStopSignals({
    cancel: () => {
      say("cancelling… (Ctrl-C again to force)");
      userCancel.abort();
      hooks?.cancelAll();
    },
    force: async () => {
      say("force-exit: removing this run's containers, images and files");
      renderer?.close();
      // Steps still stopping get 3 s (the shell runner's SIGTERM → SIGKILL takes 2 s) before
      // their files go; engine cleanup gets the rest of the 5 s.
      try {
        await Promise.race([pool.close(), Bun.sleep(3000)]);
        await Promise.race([finishSessions(), Bun.sleep(2000)]);
      } finally {
        try {
          forgetRuns(kvDatabasePath(), [runDir.started()]);
        } catch {
          // The database is busy or gone: the rows wait for the reaper of this run.
        }
        runDir.remove();
      }
    },
    exitNow: () => {
      renderer?.close();
      // Steps must not outlive the run; the rest (files, containers, KV) is the reaper's.
      runDir.killProcesses();
    },
  });

  try {
    if (human) say(`${paintFor(2).cyan("▌")} ${paintFor(2).bold("hm run")} · ${options.pipeline.entry.slug}`);
    const ignored = ignoredOnHost(graph, choices);
    if (ignored !== null) say(ignored);
    const archiveId = crypto.randomUUID();
    const archivePath = join(runDir.path, "workspace.tar");
    const packStarted = performance.now();
    const packed = await packWorkspace({
      root: options.project.root,
      pipelineDir: options.project.pipelineDir === null ? null : basename(options.project.pipelineDir),
      output: archivePath,
      onWarning: (message) => log.warn(message),
    });
    if (human)
      say(
        `workspace: ${packed.files} ${packed.files === 1 ? "file" : "files"} packed in ${formatDuration(performance.now() - packStarted)} (${formatBytes(packed.bytes)} archive)`,
      );
    if (userCancel.signal.aborted) return signals.code;

    const context = {
      kvPath: kvDatabasePath(),
      configDir: options.project.pipelineDir,
      archives: { [archiveId]: archivePath },
    };
    hooks = new HookDispatcher(options.registry.hooks, { ...context, runId }, say, log);
    const beforeKinds = hooks.beforeKinds();
    const dispatcher = hooks;
    bus = new EventBus({
      spillDir: runDir.path,
      gate: {
        kinds: new Set([...beforeKinds].filter((k) => !SCHEDULER_GATED.has(k))),
        check: async (event) => {
          const abort = await dispatcher.before(event);
          if (abort !== null) hookAbort.abort(abortMessage(abort));
        },
      },
      onConsumerError: (consumer, message) => say(`${consumer} stopped: ${message}`),
    });
    bus.subscribe(renderer ?? jsonRenderer(streamSink(process.stdout)));
    history = recordRun({
      runId,
      pipeline: options.pipeline.entry.slug,
      projectRoot: options.project.root,
      limits: historyLimits,
      onError: (message) => log.warn(message),
    });
    if (history !== null) bus.subscribe(history);
    for (const consumer of hooks.afterConsumers()) bus.subscribe(consumer);

    const run = { runId, archivePath, archivePaths: packed.paths, projectRoot: options.project.root };
    for (const { name, connected } of builtins) sessions.set(name, connected.open(run));
    const executors = choices.map(({ runner, provider }): Executor => {
      if (provider.kind === "plugin")
        return pluginExecutor(provider.plugin, runner, { ...context, pool, log });
      const session = sessions.get(runner);
      if (session === undefined) throw new Error(`built-in runner '${runner}' was not opened`);
      return session.executor;
    });
    const eventBus = bus;
    const result = await schedule({
      graph,
      runId,
      archiveId,
      parallelism: parallelismOf(options.parallelism),
      keepGoing: options.keepGoing,
      defaultRunner: choices[0]?.runner ?? options.runnerFlag ?? DEFAULT_BUILTIN_RUNNER,
      executors,
      extraEnv: options.extraEnv,
      emit: (event: HmEvent) => {
        if (event.kind === "step_queued") nameStep(event.step_id, event.display_name);
        else if (event.kind === "step_start") runDir.recordStep(event.step_id);
        else if (event.kind === "step_end") forgetStep(event.step_id);
        eventBus.publish(event);
      },
      signal: userCancel.signal,
      abortSignal: hookAbort.signal,
      ...(beforeKinds.size > 0
        ? {
            gate: async (event: HmEvent) => {
              if (!SCHEDULER_GATED.has(event.kind) || !beforeKinds.has(event.kind)) return null;
              const abort = await dispatcher.before(event);
              return abort === null ? null : abortMessage(abort);
            },
          }
        : {}),
    });
    await bus.drained();
    // After the hooks: a build_end hook may still read the build scope (the shell runner does).
    forgetRuns(context.kvPath, [{ runId, stepIds: [...result.stepIds] }]);
    renderer?.close();
    routeLines(log, null);
    for (const error of result.errors) log.error(error);
    // A before hook of step_log, step_end or build_end may answer after the scheduler finished.
    const aborted = result.aborted ?? (hookAbort.signal.aborted ? String(hookAbort.signal.reason) : null);
    if (aborted !== null) log.error(aborted);
    if (signals.terminated) return signals.code;
    return aborted !== null && result.exitCode === ExitCode.ok ? ExitCode.buildFailed : result.exitCode;
  } catch (error) {
    throw error instanceof HmError ? error : new HmError("E_INTERNAL", messageOf(error), { cause: error });
  } finally {
    renderer?.close();
    routeLines(log, null);
    signals.dispose();
    await Promise.all([pool.close(), hooks?.close(), finishSessions(), history?.close()]);
    bus?.dispose();
    runDir.remove();
  }
}

function parallelismOf(requested: number | undefined): number {
  if (requested === undefined) return Math.max(1, availableParallelism());
  return Math.max(1, requested);
}

function humanRenderer(logs: boolean, fullLogCommand: SummaryOptions["fullLogCommand"]): HumanRenderer {
  const paint = paintFor(2);
  const sink = streamSink(process.stderr);
  const ci = process.env.CI !== undefined && process.env.CI !== "";
  if (logs || ci || !isTTY(2)) return plainRenderer(sink, paint, { fullLogCommand });
  return progressRenderer(
    sink,
    paint,
    () => ({ columns: process.stderr.columns || 80, rows: process.stderr.rows || 24 }),
    undefined,
    { fullLogCommand },
  );
}
