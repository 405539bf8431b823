/**
 * `hm run --only NAME`: which steps NAME means (README, "Running a part of
 * the pipeline"). A step key names its one step; otherwise every step whose
 * display name (its label, else its command cut short) is NAME. A name that
 * matches nothing is a usage error naming the nearest key or label.
 */
import { HmError } from "../errors.ts";
import type { LoadedPipeline } from "../pipeline/load.ts";
import { subgraphOf } from "../pipeline/subgraph.ts";
import type { GraphIR } from "../protocol/ir.ts";
import { displayName, type Selection } from "../run/events.ts";
import { didYouMean } from "../suggest.ts";

/** How many step names an unknown `--only` lists before "… and N more". */
const LISTED_NAMES = 20;

/** Every `--only NAME` / `--only=NAME`, in order. */
export function onlyNames(rawArgs: readonly string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i] as string;
    if (token === "--") break;
    let name: string | undefined;
    if (token === "--only") name = rawArgs[++i];
    else if (token.startsWith("--only=")) name = token.slice("--only=".length);
    else continue;
    if (name === undefined || name === "")
      throw new HmError("E_USAGE", "--only needs a step key or label", { hint: "hm run --list shows them" });
    names.push(name);
  }
  return names;
}

/** The pipeline cut to the steps `names` match and their ancestors, and what to report about the cut; without names, the whole pipeline. */
export function onlySteps(
  pipeline: LoadedPipeline,
  names: readonly string[],
): { pipeline: LoadedPipeline; selection: Selection | undefined } {
  if (names.length === 0) return { pipeline, selection: undefined };
  const { graph } = pipeline;
  const chosen = new Set<number>();
  for (const name of names) for (const i of matching(graph, name, pipeline.entry.slug)) chosen.add(i);
  const indexes = [...chosen].sort((a, b) => a - b);
  const { graph: part } = subgraphOf(graph, indexes);
  const matched = indexes.map((i) => graph.graph.nodes[i]?.step.key ?? "");
  return {
    pipeline: { ...pipeline, graph: part },
    selection: { only: [...names], matched, pipeline_step_count: graph.graph.nodes.length },
  };
}

function matching(graph: GraphIR, name: string, slug: string): number[] {
  const { nodes } = graph.graph;
  const byKey = nodes.findIndex((n) => n.step.key === name);
  if (byKey >= 0) return [byKey];
  const byName = nodes.flatMap((n, i) => (displayName(n.step.label, n.step.cmd) === name ? [i] : []));
  if (byName.length > 0) return byName;
  const keys = nodes.map((n) => n.step.key);
  const labels = nodes.flatMap((n) => (n.step.label ? [n.step.label] : []));
  const listed = keys.slice(0, LISTED_NAMES).join(", ");
  const more = keys.length > LISTED_NAMES ? `, … and ${keys.length - LISTED_NAMES} more` : "";
  throw new HmError(
    "E_USAGE",
    `--only '${name}': no step of pipeline '${slug}' has this key or label${didYouMean(name, [...keys, ...labels])}`,
    {
      hint:
        keys.length === 0
          ? `pipeline '${slug}' has no steps`
          : `step keys: ${listed}${more} (hm run ${slug} --list shows keys and labels)`,
    },
  );
}
