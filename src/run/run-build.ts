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
import { kvDatabasePath, stateDir } from "../plugins/paths.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import { WorkerPool } from "../plugins/worker-pool.ts";
import { forgetStep, nameStep, report } from "../report-channel/writer.ts";
import type { ConnectedRunner, Executor, RunnerSession } from "../runner/contract.ts";
import { runnerRunDirectory } from "../runner/run-directory.ts";
import { handleStopSignals } from "../signals.ts";
import { begin, span } from "../trace/tracer.ts";
import type { BuildSource } from "./build-source.ts";
import { BUILTIN_RUNNERS, DEFAULT_BUILTIN_RUNNER } from "./builtin-runners.ts";
import { EventBus } from "./event-bus.ts";
import type { HmEvent, HmEventKind, Selection } from "./events.ts";
import { type HistoryLimits, historyLimitsFromEnv } from "./history/limits.ts";
import { logsCommand } from "./history/logs-command.ts";
import { type RunHistory, recordRun } from "./history/recorder.ts";
import { abortMessage, HookDispatcher } from "./hooks.ts";
import { pluginExecutor } from "./plugin-executor.ts";
import { alreadyConnected, reapLeftovers } from "./reap.ts";
import { formatBytes, formatDuration } from "./render/format.ts";
import { openHumanOutput } from "./render/human-output.ts";
import { jsonRenderer } from "./render/json-renderer.ts";
import { streamSink } from "./render/sink.ts";
import { partOf } from "./render/summary.ts";
import { createRunDirectory, forgetRuns } from "./run-records.ts";
import { checkRunnerArgs } from "./runner-args.ts";
import { builtinsUsed, pluginRunnersUsed, resolveRunners } from "./runners.ts";
import { schedule } from "./scheduler.ts";
import { maskedError, secretMask } from "./secrets/mask.ts";
import { refusePackedSecretFiles, type Secrets } from "./secrets/sources.ts";
import { checkHostInstalls, ignoredOnHost } from "./shell-host.ts";
import { packWorkspace } from "./workspace/pack.ts";
import { archiveMemoPath, reuseDirectory } from "./workspace/pack-reuse.ts";

type OutputFormat = "human" | "json";

interface RunBuildOptions {
  readonly project: Project;
  readonly pipeline: LoadedPipeline;
  readonly registry: PluginRegistry;
  readonly runnerFlag: string | undefined;
  /** Where `runnerFlag` came from when not `--runner` (a configuration file and line, a variable). */
  readonly runnerOrigin?: string | undefined;
  readonly parallelism: number | undefined;
  readonly keepGoing: boolean;
  readonly format: OutputFormat;
  /** `--logs`: plain lines even on a terminal. */
  readonly logs: boolean;
  readonly extraEnv: Readonly<Record<string, string>>;
  /** `--secret`/`--secret-file`: in every step's env, masked in everything the run shows or keeps. */
  readonly secrets?: Secrets;
  /** `--allow-host-install`: toolchain steps may install software on this machine (shell runner). */
  readonly allowHostInstall: boolean;
  /** `--only`: the pipeline's graph is already cut to this part (src/cli/only-steps.ts). */
  readonly selection?: Selection;
  /** Run-log retention from the configuration (`[logs]`); the `HM_HISTORY_*` variables win. */
  readonly historyLimits?: Partial<HistoryLimits>;
  /** Branch, commit and message recorded in build_start (`-b`, `-m`). */
  readonly source?: BuildSource;
  readonly log: Logger;
}

/** Events whose `before` hooks the scheduler awaits before it acts on them. */
const SCHEDULER_GATED: ReadonlySet<HmEventKind> = new Set(["build_start", "step_queued", "step_start"]);

export async function runBuild(options: RunBuildOptions): Promise<number> {
  const { graph } = options.pipeline;
  const planning = begin("plan", { steps: graph.graph.nodes.length });
  const choices = resolveRunners(graph, options.registry, {
    runnerFlag: options.runnerFlag,
    runnerOrigin: options.runnerOrigin,
    builtins: BUILTIN_RUNNERS,
    builtinDefault: DEFAULT_BUILTIN_RUNNER,
  });
  checkHostInstalls(graph, choices, options.allowHostInstall);
  planning.end();
  // A built-in runner connects only when a step uses it; one that cannot stops the run now (docker: exit 4).
  const builtins = await Promise.all(
    builtinsUsed(choices).map(async (registered) => {
      const connecting = begin(`connect runner ${registered.name}`);
      const connected: ConnectedRunner = await (await registered.load()).connect();
      connecting.end();
      return { name: registered.name, connected };
    }),
  );
  // Dead runs' leftovers (their KV rows too); commits they left in flight are not waited for here:
  // the next reaper gets what lands later.
  const reaping = begin("reap dead runs");
  await reapLeftovers({
    scope: "over",
    runners: builtins.map((b) => alreadyConnected(b.name, b.connected)),
    waitForInFlight: false,
    kvPath: kvDatabasePath(),
  });
  reaping.end();
  await span("check runner_args", () => checkRunnerArgs(graph, choices));
  const historyLimits = historyLimitsFromEnv(process.env, options.historyLimits);

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
  const output = human ? openHumanOutput(options.logs, { fullLogCommand }) : null;
  const renderer = output?.renderer ?? null;
  const secrets = options.secrets?.values ?? {};
  const mask = secretMask(Object.values(secrets));
  // hm's own lines: part of the human output (stdout), on stderr beside JSON events.
  const say = (line: string) =>
    renderer ? renderer.note(mask.text(line)) : process.stderr.write(`${mask.text(line)}\n`);
  const log = options.log;
  const warn = (line: string) => log.warn(line);
  // Diagnostics stay on stderr (src/run/render/human-output.ts), above a live view on the same
  // terminal; with secrets, log records and plugin text are masked on the way.
  const toStderr = (line: string) => process.stderr.write(`${mask.text(line)}\n`);
  const afterView = mask.active ? toStderr : null;
  if (output?.diagnosticsThroughView) routeLines(log, (line) => output.renderer.note(mask.text(line)));
  else if (afterView !== null) routeLines(log, afterView);
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
    if (output) {
      const part =
        options.selection === undefined ? "" : ` ${partOf(options.selection, graph.graph.nodes.length)}`;
      say(`${output.paint.cyan("▌")} ${output.paint.bold("hm run")} · ${options.pipeline.entry.slug}${part}`);
    }
    const ignored = ignoredOnHost(graph, choices);
    if (ignored !== null) say(ignored);
    const archiveId = crypto.randomUUID();
    const archivePath = join(runDir.path, "workspace.tar");
    const packStarted = performance.now();
    const packing = begin("pack workspace");
    // Not with secret files: one inside the tree would be kept in the last archive (and is refused below).
    const reuseDir =
      process.env.HM_PACK_REUSE === "0" || (options.secrets?.files.length ?? 0) > 0
        ? undefined
        : packReuseDirectory(options.project);
    const packed = await packWorkspace({
      root: options.project.root,
      pipelineDir: options.project.pipelineDir === null ? null : basename(options.project.pipelineDir),
      output: archivePath,
      onWarning: (message) => log.warn(message),
      ...(reuseDir === undefined ? {} : { reuseDir }),
    });
    packing.end({
      files: packed.files,
      bytes: packed.bytes,
      reused_files: packed.reused.files,
      unchanged: packed.reused.whole,
    });
    refusePackedSecretFiles(options.secrets?.files ?? [], options.project.root, packed.paths);
    if (human)
      say(
        `workspace: ${packed.files} ${packed.files === 1 ? "file" : "files"} packed in ${formatDuration(performance.now() - packStarted)} (${formatBytes(packed.bytes)} archive${reuseNote(packed.reused)})`,
      );
    if (userCancel.signal.aborted) return signals.code;

    const context = {
      kvPath: kvDatabasePath(),
      configDir: options.project.pipelineDir,
      archives: { [archiveId]: archivePath },
    };
    hooks = new HookDispatcher(options.registry.hooks, { ...context, runId }, warn, log);
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
      onConsumerError: (consumer, message) => warn(`${consumer} stopped: ${message}`),
    });
    bus.subscribe(renderer ?? jsonRenderer(streamSink(process.stdout)));
    history = recordRun({
      runId,
      pipeline: options.pipeline.entry.slug,
      projectRoot: options.project.root,
      limits: historyLimits,
      ...(options.selection === undefined
        ? {}
        : {
            only: {
              names: [...options.selection.only],
              steps: graph.graph.nodes.length,
              of: options.selection.pipeline_step_count,
            },
          }),
      onError: (message) => log.warn(message),
    });
    if (history !== null) bus.subscribe(history);
    for (const consumer of hooks.afterConsumers()) bus.subscribe(consumer);

    const run = {
      runId,
      archivePath,
      archivePaths: packed.paths,
      projectRoot: options.project.root,
      ...(reuseDir === undefined ? {} : { archiveMemo: archiveMemoPath(reuseDir) }),
    };
    for (const { name, connected } of builtins) sessions.set(name, connected.open(run));
    const executors = choices.map(({ runner, provider }): Executor => {
      if (provider.kind === "plugin")
        return pluginExecutor(provider.plugin, runner, { ...context, pool, log });
      const session = sessions.get(runner);
      if (session === undefined) throw new Error(`built-in runner '${runner}' was not opened`);
      return session.executor;
    });
    const eventBus = bus;
    const building = begin("build");
    const result = await schedule({
      graph,
      runId,
      archiveId,
      parallelism: parallelismOf(options.parallelism),
      keepGoing: options.keepGoing,
      defaultRunner: choices[0]?.runner ?? options.runnerFlag ?? DEFAULT_BUILTIN_RUNNER,
      executors,
      extraEnv: options.extraEnv,
      secretEnv: secrets,
      ...(options.selection === undefined ? {} : { selection: options.selection }),
      ...(options.source === undefined ? {} : { source: options.source }),
      emit: (raw: HmEvent) => {
        // The one place events pass before anything shows or keeps them (`docs/design.md`, "Secrets").
        const event = mask.event(raw);
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
              const abort = await dispatcher.before(mask.event(event));
              return abort === null ? null : abortMessage(abort);
            },
          }
        : {}),
    });
    building.end({ exit_code: result.exitCode });
    await span("drain events", () => eventBus.drained());
    // After the hooks: a build_end hook may still read the build scope (the shell runner does).
    forgetRuns(context.kvPath, [{ runId, stepIds: [...result.stepIds] }]);
    renderer?.close();
    routeLines(log, afterView);
    for (const error of result.errors) log.error(mask.text(error));
    // A before hook of step_log, step_end or build_end may answer after the scheduler finished.
    const aborted = result.aborted ?? (hookAbort.signal.aborted ? String(hookAbort.signal.reason) : null);
    if (aborted !== null) log.error(mask.text(aborted));
    if (signals.terminated) return signals.code;
    return aborted !== null && result.exitCode === ExitCode.ok ? ExitCode.buildFailed : result.exitCode;
  } catch (error) {
    throw maskedError(
      error instanceof HmError ? error : new HmError("E_INTERNAL", messageOf(error), { cause: error }),
      mask,
    );
  } finally {
    renderer?.close();
    routeLines(log, afterView);
    signals.dispose();
    const sweep = begin("final sweep");
    await Promise.all([pool.close(), hooks?.close(), finishSessions(), history?.close()]);
    bus?.dispose();
    runDir.remove();
    sweep.end();
  }
}

/** How much of the last run's archive was reused, for the workspace line. */
function reuseNote(reused: { files: number; whole: boolean }): string {
  if (reused.whole) return ", unchanged since the last run";
  return reused.files > 0
    ? `, ${reused.files} unchanged ${reused.files === 1 ? "file" : "files"} reused`
    : "";
}

/** Where this project's last archive is kept (`docs/design.md`, "Reusing the last archive"). */
function packReuseDirectory(project: Project): string {
  const pipelineName = project.pipelineDir === null ? null : basename(project.pipelineDir);
  return reuseDirectory(stateDir(), project.root, pipelineName);
}

function parallelismOf(requested: number | undefined): number {
  if (requested === undefined) return Math.max(1, availableParallelism());
  return Math.max(1, requested);
}
