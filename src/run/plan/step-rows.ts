/**
 * The steps of a pipeline as `hm run --list` and `--dry-run` show them
 * (README, "Running a part of the pipeline"): in the order they may run,
 * each with its runner, image, what it needs and its cache policy.
 */
import type { GraphIR } from "../../protocol/ir.ts";
import { graphFacts } from "../chains.ts";
import { displayName } from "../events.ts";

export interface StepRow {
  readonly key: string;
  /** The step's label, or null. */
  readonly label: string | null;
  /** What runs print for the step: its label, else its command cut short (what `--only` also matches). */
  readonly name: string;
  readonly runner: string;
  /** The image the pipeline sets, or null (a builds_in child starts from its parent's filesystem whatever it says). */
  readonly image: string | null;
  /** The key of the step whose finished filesystem this one starts from, or null. */
  readonly builds_in: string | null;
  /** The keys of the other steps it waits for (depends_on). */
  readonly after: readonly string[];
  readonly cache: { readonly policy: string; readonly key: string | null } | null;
}

/** One row per step, every step after those it needs. `runners`: each node's runner name, in node order. */
export function stepRows(graph: GraphIR, runners: readonly string[]): StepRow[] {
  const facts = graphFacts(graph);
  const { nodes } = graph.graph;
  const keyOf = (i: number) => nodes[i]?.step.key ?? "";
  return facts.order.map((i) => {
    const { step } = nodes[i] as GraphIR["graph"]["nodes"][number];
    const parent = facts.buildsInParent[i] ?? null;
    return {
      key: step.key,
      label: step.label ?? null,
      name: displayName(step.label, step.cmd),
      runner: runners[i] ?? "",
      image: step.image ?? null,
      builds_in: parent === null ? null : keyOf(parent),
      after: (facts.predecessors[i] ?? []).filter((p) => p !== parent).map(keyOf),
      cache: step.cache === undefined ? null : { policy: step.cache.policy, key: step.cache.key ?? null },
    };
  });
}
