/**
 * `hm run --dry-run`: what a run would do, without doing it (README,
 * "Running a part of the pipeline"). The checks a run makes before anything
 * starts are made (runners, runner_args, host installs, the engine
 * answering), then each runner with a step cache is asked what it would
 * answer (`ConnectedRunner.forecast`, read-only); runners without one keep
 * no cache. Nothing is packed, reaped, pulled, created or tagged.
 */
import type { LoadedPipeline } from "../../pipeline/load.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import type { CacheForecast, CacheRequest, ConnectedRunner } from "../../runner/contract.ts";
import { BUILTIN_RUNNERS, DEFAULT_BUILTIN_RUNNER } from "../builtin-runners.ts";
import type { Selection } from "../events.ts";
import { checkRunnerArgs } from "../runner-args.ts";
import { builtinsUsed, resolveRunners } from "../runners.ts";
import { StepGraph } from "../schedule/step-graph.ts";
import { checkHostInstalls } from "../shell-host.ts";
import { planTitle } from "./list-steps.ts";
import { stepRows } from "./step-rows.ts";
import { formatTable } from "./table.ts";

export interface DryRunOptions {
  readonly projectRoot: string;
  readonly pipeline: LoadedPipeline;
  readonly registry: PluginRegistry;
  readonly runnerFlag: string | undefined;
  readonly extraEnv: Readonly<Record<string, string>>;
  readonly allowHostInstall: boolean;
  readonly format: "human" | "json";
  readonly selection: Selection | undefined;
  readonly write: (text: string) => void;
}

export async function dryRun(options: DryRunOptions): Promise<number> {
  const { graph, entry } = options.pipeline;
  const choices = resolveRunners(graph, options.registry, {
    runnerFlag: options.runnerFlag,
    builtins: BUILTIN_RUNNERS,
    builtinDefault: DEFAULT_BUILTIN_RUNNER,
  });
  checkHostInstalls(graph, choices, options.allowHostInstall);
  const connected = new Map<string, ConnectedRunner>();
  for (const registered of builtinsUsed(choices))
    connected.set(registered.name, await (await registered.load()).connect());
  await checkRunnerArgs(graph, choices);

  const steps = new StepGraph(graph);
  const forecasts: CacheForecast[] = graph.graph.nodes.map((_, i) => ({
    kind: "uncached",
    reason: `runner '${choices[i]?.runner}' keeps no step cache`,
  }));
  for (const [name, runner] of connected) {
    if (runner.forecast === undefined) continue;
    const mine = steps.order.filter((i) => choices[i]?.runner === name);
    const requests: CacheRequest[] = mine.map((i) => ({
      step: steps.step(i),
      env: steps.env(i, options.extraEnv),
      parentKey: steps.parentKey(i),
    }));
    const answers = await runner.forecast(options.projectRoot, requests);
    mine.forEach((node, n) => {
      const answer = answers[n];
      if (answer !== undefined) forecasts[node] = answer;
    });
  }

  const rows = stepRows(
    graph,
    choices.map((c) => c.runner),
  );
  const byKey = new Map(graph.graph.nodes.map((node, i) => [node.step.key, forecasts[i] as CacheForecast]));
  const planned = rows.map((row) => ({ ...row, forecast: byKey.get(row.key) as CacheForecast }));
  if (options.format === "json") {
    const document = {
      pipeline: entry.slug,
      selection: options.selection ?? null,
      dry_run: true,
      steps: planned,
    };
    options.write(`${JSON.stringify(document, null, 2)}\n`);
    return 0;
  }
  const hits = planned.filter((p) => p.forecast.kind === "hit").length;
  const unknown = planned.filter((p) => p.forecast.kind === "unknown").length;
  const lines = [
    `${planTitle(entry.slug, rows.length, options.selection)}, dry run: nothing is run`,
    ...formatTable(
      ["KEY", "NAME", "RUNNER", "CACHE"],
      planned.map((p) => [p.key, p.name, p.runner, forecastCell(p.forecast)]),
    ),
    `${hits} cache ${hits === 1 ? "hit" : "hits"}, ${planned.length - hits - unknown} to run` +
      (unknown > 0 ? `, ${unknown} unknown until the run` : ""),
  ];
  options.write(`${lines.join("\n")}\n`);
  return 0;
}

function forecastCell(forecast: CacheForecast): string {
  switch (forecast.kind) {
    case "hit":
      return `hit ${forecast.tag}`;
    case "miss":
      return forecast.tag === null ? `run (${forecast.reason})` : `run, then cache as ${forecast.tag}`;
    case "unknown":
      return `unknown (${forecast.reason})`;
    case "uncached":
      return `run (${forecast.reason})`;
  }
}
