/**
 * Graph facts the scheduler and events need: a topological order, each
 * step's predecessors and builds_in parent, and chains (reference §5.1: a
 * chain follows a node's single builds_in child while that child has no
 * other incoming edge). `step_queued.chain_idx` is a step's position within
 * its chain, `chain_failed.chain_idx` the chain's index, as in the reference.
 */
import type { GraphIR } from "../protocol/ir.ts";

export interface GraphFacts {
  /** Node indexes, every node after all of its predecessors (ties by index). */
  readonly order: number[];
  readonly predecessors: number[][];
  readonly buildsInParent: (number | null)[];
  readonly chainOf: number[];
  readonly positionInChain: number[];
  readonly chainCount: number;
}

export function graphFacts(ir: GraphIR): GraphFacts {
  const count = ir.graph.nodes.length;
  const predecessors: number[][] = Array.from({ length: count }, () => []);
  const successors: number[][] = Array.from({ length: count }, () => []);
  const buildsInParent: (number | null)[] = Array.from({ length: count }, () => null);
  const buildsInChildren: number[][] = Array.from({ length: count }, () => []);
  for (const [from, to, kind] of ir.graph.edges) {
    if (!predecessors[to]?.includes(from)) {
      predecessors[to]?.push(from);
      successors[from]?.push(to);
    }
    if (kind === "builds_in") {
      buildsInParent[to] = from;
      buildsInChildren[from]?.push(to);
    }
  }

  // Kahn's algorithm, always taking the lowest ready index: stable and deterministic.
  const remaining = predecessors.map((p) => p.length);
  const ready = remaining.flatMap((n, i) => (n === 0 ? [i] : []));
  const order: number[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const node = ready.shift() as number;
    order.push(node);
    for (const next of successors[node] ?? []) {
      remaining[next] = (remaining[next] ?? 0) - 1;
      if (remaining[next] === 0) ready.push(next);
    }
  }

  const chainOf: number[] = Array.from({ length: count }, () => -1);
  const positionInChain: number[] = Array.from({ length: count }, () => 0);
  let chainCount = 0;
  for (let start = 0; start < count; start++) {
    if (chainOf[start] !== -1) continue;
    let node: number | undefined = start;
    let position = 0;
    while (node !== undefined && chainOf[node] === -1) {
      chainOf[node] = chainCount;
      positionInChain[node] = position++;
      const children: number[] = buildsInChildren[node] ?? [];
      const only: number | undefined = children.length === 1 ? children[0] : undefined;
      node = only !== undefined && (predecessors[only]?.length ?? 0) === 1 ? only : undefined;
    }
    chainCount++;
  }
  return { order, predecessors, buildsInParent, chainOf, positionInChain, chainCount };
}
