/**
 * `hm __complete <words…>`: the candidates the completion scripts show. It is
 * dispatched by main.ts before the CLI frame, which would otherwise act on
 * the words being completed (`--help`, `-v`, unknown arguments).
 */
import { silentLogger } from "../../log.ts";
import type { LoadedPipeline } from "../../pipeline/load.ts";
import { BUILTIN_RUNNER_NAMES } from "../../run/builtin-runners.ts";
import { availableRunners } from "../../run/runners.ts";
import { complete } from "../completion.ts";
import { writeStdout } from "../output.ts";
import { pluginCommands } from "../plugin-commands.ts";
import { pluginRegistry } from "../plugin-registry.ts";

export async function printCompletions(words: string[]): Promise<number> {
  const { root } = await import("../root.ts");
  // A completion's stderr would land in the user's prompt: warnings are dropped.
  const log = silentLogger();
  const loaded = async (dir: string | undefined): Promise<LoadedPipeline[]> => {
    try {
      const [{ findProject }, { loadPipelines }] = await Promise.all([
        import("../../pipeline/project.ts"),
        import("../../pipeline/load.ts"),
      ]);
      return await loadPipelines(findProject(process.cwd(), dir), { log });
    } catch {
      return []; // no project, or a pipeline file that does not load: nothing to offer
    }
  };
  const candidates = await complete(words.length === 0 ? [""] : words, {
    root,
    pluginCommands: () => pluginCommands(pluginRegistry(log)),
    pipelineSlugs: async (dir) => (await loaded(dir)).map((p) => p.entry.slug),
    stepKeys: async (dir, slug) => {
      const { selectPipeline } = await import("../../pipeline/select.ts");
      const { displayName } = await import("../../run/events.ts");
      try {
        const { graph } = selectPipeline(await loaded(dir), slug);
        return graph.graph.nodes.map(({ step }) => ({
          value: step.key,
          description: displayName(step.label, step.cmd),
        }));
      } catch {
        return []; // several pipelines and none named, or an unknown one: nothing to offer
      }
    },
    runnerNames: (dir) => availableRunners(pluginRegistry(log, dir), BUILTIN_RUNNER_NAMES),
    pluginNames: (dir) =>
      pluginRegistry(log, dir)
        .plugins.map((p) => p.name)
        .sort(),
  });
  await writeStdout(
    candidates.map((c) => (c.description ? `${c.value}\t${c.description}` : c.value)).join("\n") +
      (candidates.length > 0 ? "\n" : ""),
  );
  return 0;
}
