/**
 * The CLI's view of plugins: discovered once per process for the project
 * hm is working in, checked against the built-in commands and runners.
 */
import { join } from "node:path";
import type { Logger } from "../log.ts";
import { findProject } from "../pipeline/project.ts";
import { embeddedPlugins, materializeEmbeddedPlugins } from "../plugins/embedded.ts";
import { ManifestCache } from "../plugins/manifest-cache.ts";
import { loadRegistry, type PluginDir, type PluginRegistry, pluginDirectories } from "../plugins/registry.ts";
import { BUILTIN_RUNNER_NAMES } from "../run/builtin-runners.ts";
import { BUILTIN_VERBS } from "./verbs.ts";

/**
 * First-party plugins: embedded in the compiled binary, else built from
 * plugins/<name>/ beside the sources (scripts/build-native.ts).
 */
function bundledPlugins(log: Logger): Omit<PluginDir, "source"> | null {
  if (embeddedPlugins().length > 0) {
    const { dir, files, failures } = materializeEmbeddedPlugins();
    for (const f of failures) log.warn(`bundled plugin '${f.name}' is unavailable: ${f.reason}`);
    return { dir, files };
  }
  if (import.meta.dir.startsWith("/$bunfs")) return null; // a binary built without plugins for its target
  return { dir: join(import.meta.dir, "..", "..", "build", "plugins") };
}

let cached: { key: string; registry: PluginRegistry } | undefined;

/**
 * The registry for the project at `dir` (or found from the working
 * directory); `log` takes the warnings of the first load (one per process and project).
 */
export function pluginRegistry(log: Logger, dir?: string): PluginRegistry {
  const project = findProjectQuietly(dir);
  const key = `${project ?? ""}`;
  if (cached?.key === key) return cached.registry;
  const registry = loadRegistry({
    directories: pluginDirectories(project, bundledPlugins(log)),
    builtinVerbs: BUILTIN_VERBS,
    builtinRunners: BUILTIN_RUNNER_NAMES,
    manifestCache: ManifestCache.open(),
  });
  cached = { key, registry };
  return registry;
}

function findProjectQuietly(dir: string | undefined): string | null {
  try {
    const project = findProject(process.cwd(), dir);
    return project.pipelineDir === null && dir === undefined ? null : project.root;
  } catch {
    return null;
  }
}
