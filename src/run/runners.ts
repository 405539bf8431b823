/**
 * Which executor runs each step, decided before anything starts: the step's
 * `runner`, else `--runner NAME`, else the default runner (a plugin with
 * `default: true`, else the built-in `docker`). A runner nobody provides
 * stops the run (exit 7, listing the available runners); one whose plugin is
 * broken stops it with that plugin's reason (exit 5).
 */
import { HmError } from "../errors.ts";
import type { PluginEntry, PluginRegistry } from "../plugins/registry.ts";
import type { GraphIR } from "../protocol/ir.ts";

export interface RunnerChoice {
  /** The runner's name as events report it. */
  readonly runner: string;
  /** The plugin providing it, or null for a built-in runner. */
  readonly plugin: PluginEntry | null;
}

export function defaultRunnerName(registry: PluginRegistry, builtinDefault: string): string {
  const plugin = registry.defaultRunner;
  if (plugin === undefined) return builtinDefault;
  const spec = plugin.manifest.capabilities.find((c) => c.kind === "step_executor" && c.default);
  return spec?.kind === "step_executor" ? spec.runner : builtinDefault;
}

export function availableRunners(registry: PluginRegistry, builtins: readonly string[]): string[] {
  const names = new Set(builtins);
  for (const plugin of registry.plugins)
    for (const c of plugin.manifest.capabilities) if (c.kind === "step_executor") names.add(c.runner);
  return [...names].sort();
}

/** One choice per node, in node order. */
export function resolveRunners(
  graph: GraphIR,
  registry: PluginRegistry,
  options: { runnerFlag: string | undefined; builtins: readonly string[]; builtinDefault: string },
): RunnerChoice[] {
  const fallback = options.runnerFlag ?? defaultRunnerName(registry, options.builtinDefault);
  return graph.graph.nodes.map(({ step }) => {
    const name = step.runner ?? fallback;
    const plugin = registry.runner(name);
    if (plugin !== undefined) return { runner: name, plugin };
    if (options.builtins.includes(name)) return { runner: name, plugin: null };
    const broken = registry.brokenClaiming(`runner:${name}`);
    if (broken !== undefined) {
      throw new HmError(
        "E_PLUGIN_LOAD",
        `step '${step.key}' needs runner '${name}', whose plugin is broken: ${broken.reason}`,
        { hint: `plugin file: ${broken.path}` },
      );
    }
    const asked =
      step.runner !== undefined
        ? `step '${step.key}' requested runner '${name}'`
        : `runner '${name}' (--runner)`;
    throw new HmError("E_UNKNOWN_RUNNER", `${asked}, but no plugin provides it`, {
      hint: `available runners: ${availableRunners(registry, options.builtins).join(", ")}`,
    });
  });
}
