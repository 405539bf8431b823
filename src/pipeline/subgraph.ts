/**
 * A part of a pipeline (`hm run --only`, `docs/design.md`, "A part of the
 * pipeline"): the chosen steps and every step they need, through depends_on
 * and builds_in edges alike, as a graph of its own. Closed under
 * predecessors by construction, so a kept step never waits for, or starts
 * from the filesystem of, a step that was left out.
 */
import type { GraphIR } from "../protocol/ir.ts";

export interface Subgraph {
  readonly graph: GraphIR;
  /** The kept steps' node indexes in the whole pipeline, in node order. */
  readonly kept: readonly number[];
}

/** The steps at `chosen` (node indexes) and all their ancestors; node order and edge kinds are kept. */
export function subgraphOf(ir: GraphIR, chosen: readonly number[]): Subgraph {
  const { nodes, edges } = ir.graph;
  const predecessors: number[][] = nodes.map(() => []);
  for (const [from, to] of edges) predecessors[to]?.push(from);
  const keep = new Uint8Array(nodes.length);
  // An explicit stack: a chain 100 000 steps deep is a real input.
  const stack = [...chosen];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (keep[node] === 1) continue;
    keep[node] = 1;
    for (const from of predecessors[node] ?? []) if (keep[from] === 0) stack.push(from);
  }
  const kept: number[] = [];
  const newIndex = new Int32Array(nodes.length).fill(-1);
  nodes.forEach((_, i) => {
    if (keep[i] === 1) {
      newIndex[i] = kept.length;
      kept.push(i);
    }
  });
  const keptEdges: GraphIR["graph"]["edges"] = [];
  for (const [from, to, kind] of edges) {
    const a = newIndex[from] ?? -1;
    const b = newIndex[to] ?? -1;
    if (b >= 0 && a < 0) throw new Error(`subgraph: step ${to} kept without its predecessor ${from}`);
    if (a >= 0 && b >= 0) keptEdges.push([a, b, kind]);
  }
  return {
    graph: {
      ...ir,
      graph: {
        ...ir.graph,
        nodes: kept.map((i) => nodes[i] as GraphIR["graph"]["nodes"][number]),
        edges: keptEdges,
      },
    },
    kept,
  };
}
