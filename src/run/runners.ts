/**
 * Which runner runs each step, decided before anything starts: the step's
 * `runner`, else `--runner NAME`, else the default runner (a plugin with
 * `default: true`, else the first built-in). A runner nobody provides stops
 * the run (exit 7, listing the available runners); one whose plugin is
 * broken stops it with that plugin's reason (exit 5).
 */
import { HmError } from "../errors.ts";
import type { PluginEntry, PluginRegistry } from "../plugins/registry.ts";
import type { GraphIR } from "../protocol/ir.ts";
import type { RegisteredRunner } from "./builtin-runners.ts";

/** Who provides a runner: a runner built into hm, or a plugin's step executor. */
type RunnerProvider =
  | { readonly kind: "builtin"; readonly builtin: RegisteredRunner }
  | { readonly kind: "plugin"; readonly plugin: PluginEntry };

export interface RunnerChoice {
  /** The runner's name as events report it. */
  readonly runner: string;
  readonly provider: RunnerProvider;
}

/** The runner of steps that name none when `--runner` is not given. */
export function defaultRunnerName(registry: PluginRegistry, builtinDefault: string): string {
  const plugin = registry.defaultRunner;
  if (plugin === undefined) return builtinDefault;
  const spec = plugin.manifest.capabilities.find((c) => c.kind === "step_executor" && c.default);
  return spec?.kind === "step_executor" ? spec.runner : builtinDefault;
}

/** Every runner a step may name: the built-ins and those the loaded plugins provide, sorted. */
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
  options: {
    runnerFlag: string | undefined;
    /** Where `runnerFlag` came from, for messages: `--runner` unless the configuration set it. */
    runnerOrigin?: string | undefined;
    builtins: readonly RegisteredRunner[];
    builtinDefault: string;
  },
): RunnerChoice[] {
  const fallback = options.runnerFlag ?? defaultRunnerName(registry, options.builtinDefault);
  return graph.graph.nodes.map(({ step }) => {
    const name = step.runner ?? fallback;
    const plugin = registry.runner(name);
    if (plugin !== undefined) return { runner: name, provider: { kind: "plugin", plugin } };
    const builtin = options.builtins.find((b) => b.name === name);
    if (builtin !== undefined) return { runner: name, provider: { kind: "builtin", builtin } };
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
        : `runner '${name}' (${options.runnerOrigin ?? "--runner"})`;
    const builtinNames = options.builtins.map((b) => b.name);
    // A plugin whose manifest could not be read claims nothing we know of: it may be the provider.
    const unread = registry.broken.filter((b) => b.claims.length === 0);
    const suspects =
      unread.length === 0
        ? ""
        : `; ${unread.length === 1 ? "a plugin" : `${unread.length} plugins`} could not be read and may provide it: ${unread.map((b) => b.reason).join("; ")}`;
    throw new HmError("E_UNKNOWN_RUNNER", `${asked}, but no plugin provides it${suspects}`, {
      hint:
        `available runners: ${availableRunners(registry, builtinNames).join(", ")}` +
        (unread.length === 0
          ? ""
          : `; fix or remove ${unread.map((b) => b.path).join(", ")} (hm plugin list says why)`),
    });
  });
}

/** The built-in runners the choices use, once each, in first-use order. */
export function builtinsUsed(choices: readonly RunnerChoice[]): RegisteredRunner[] {
  const used = new Set<RegisteredRunner>();
  for (const { provider } of choices) if (provider.kind === "builtin") used.add(provider.builtin);
  return [...used];
}

/** The plugin runners the choices use, by name, once each. */
export function pluginRunnersUsed(choices: readonly RunnerChoice[]): string[] {
  return [...new Set(choices.filter((c) => c.provider.kind === "plugin").map((c) => c.runner))];
}
