/**
 * Graph facts the scheduler and events need: a topological order, each
 * step's predecessors, successors and builds_in parent and children, and
 * chains (`docs/design.md`, "Pipelines, keys and the IR": a chain follows a node's single builds_in child
 * while that child has no other incoming edge). `step_queued.chain_idx` is a
 * step's position within its chain, `chain_failed.chain_idx` the chain's
 * index, as in the reference.
 *
 * Everything here is linear in steps + edges (log n for the order) and
 * iterative: pipelines of 100 000 steps, or a chain that deep, are real
 * inputs, and recursion on depth overflows the stack.
 */
import type { GraphIR } from "../protocol/ir.ts";
import { IndexHeap } from "./index-heap.ts";

export interface GraphFacts {
  /** Node indexes, every node after all of its predecessors (ties by index). */
  readonly order: number[];
  /** Each node's place in `order`. */
  readonly position: number[];
  /** Each node's distinct predecessors, in edge order. */
  readonly predecessors: number[][];
  /** Each node's distinct successors, in edge order. */
  readonly successors: number[][];
  readonly buildsInParent: (number | null)[];
  /** The nodes whose builds_in parent a node is, in node order. */
  readonly buildsInChildren: number[][];
  readonly chainOf: number[];
  readonly positionInChain: number[];
  readonly chainCount: number;
}

export function graphFacts(ir: GraphIR): GraphFacts {
  const count = ir.graph.nodes.length;
  const predecessors: number[][] = Array.from({ length: count }, () => []);
  const successors: number[][] = Array.from({ length: count }, () => []);
  const buildsInParent: (number | null)[] = Array.from({ length: count }, () => null);
  const seen = new Set<number>();
  for (const [from, to, kind] of ir.graph.edges) {
    // A builds_in edge and a depends_on edge between the same two steps are one dependency.
    const pair = from * count + to;
    if (!seen.has(pair)) {
      seen.add(pair);
      predecessors[to]?.push(from);
      successors[from]?.push(to);
    }
    if (kind === "builds_in") buildsInParent[to] = from;
  }
  const buildsInChildren: number[][] = Array.from({ length: count }, () => []);
  buildsInParent.forEach((parent, child) => {
    if (parent !== null) buildsInChildren[parent]?.push(child);
  });

  // Kahn's algorithm, always taking the lowest ready index: stable and deterministic.
  const remaining = predecessors.map((p) => p.length);
  const ready = new IndexHeap();
  remaining.forEach((n, i) => {
    if (n === 0) ready.push(i);
  });
  const order: number[] = [];
  const position: number[] = Array.from({ length: count }, () => -1);
  for (let node = ready.pop(); node !== undefined; node = ready.pop()) {
    position[node] = order.length;
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
    let place = 0;
    while (node !== undefined && chainOf[node] === -1) {
      chainOf[node] = chainCount;
      positionInChain[node] = place++;
      const children: number[] = buildsInChildren[node] ?? [];
      const only: number | undefined = children.length === 1 ? children[0] : undefined;
      node = only !== undefined && (predecessors[only]?.length ?? 0) === 1 ? only : undefined;
    }
    chainCount++;
  }
  return {
    order,
    position,
    predecessors,
    successors,
    buildsInParent,
    buildsInChildren,
    chainOf,
    positionInChain,
    chainCount,
  };
}
