import { expect, test } from "bun:test";
import { checkGraph, parseIR } from "../../src/pipeline/graph.ts";
import { subgraphOf } from "../../src/pipeline/subgraph.ts";
import type { GraphIR } from "../../src/protocol/ir.ts";
import { irJson } from "../helpers/ir.ts";

/** deps → (test, types) by builds_in; other alone; done after everything (a wait()). */
const PIPELINE = parseIR(
  JSON.parse(
    irJson(
      [{ key: "deps" }, { key: "test" }, { key: "types" }, { key: "other" }, { key: "done" }],
      [
        ["deps", "test", "builds_in"],
        ["deps", "types", "builds_in"],
        ["deps", "done", "depends_on"],
        ["test", "done", "depends_on"],
        ["types", "done", "depends_on"],
        ["other", "done", "depends_on"],
      ],
    ),
  ),
);
const keyAt = (i: number) => PIPELINE.graph.nodes[i]?.step.key;
const indexOf = (key: string) => PIPELINE.graph.nodes.findIndex((n) => n.step.key === key);
const keysOf = (ir: typeof PIPELINE) => ir.graph.nodes.map((n) => n.step.key);
const edgesByKey = (ir: typeof PIPELINE) =>
  ir.graph.edges.map(([a, b, kind]) => [ir.graph.nodes[a]?.step.key, ir.graph.nodes[b]?.step.key, kind]);

test("a step keeps its builds_in parent, with the edge that makes it start from the parent's filesystem", () => {
  const { graph, kept } = subgraphOf(PIPELINE, [indexOf("test")]);
  expect(kept.map(keyAt)).toEqual(["deps", "test"]);
  expect(keysOf(graph)).toEqual(["deps", "test"]);
  expect(edgesByKey(graph)).toEqual([["deps", "test", "builds_in"]]);
  // The part is a valid pipeline of its own.
  expect(checkGraph(graph)).toBe(graph);
});

test("depends_on ancestors are kept too, transitively, in node order", () => {
  const { graph } = subgraphOf(PIPELINE, [indexOf("done")]);
  expect(keysOf(graph)).toEqual(["deps", "test", "types", "other", "done"]);
  expect(edgesByKey(graph)).toEqual(edgesByKey(PIPELINE));
});

test("several chosen steps give the union of their ancestors, each once", () => {
  const { graph } = subgraphOf(PIPELINE, [indexOf("types"), indexOf("test"), indexOf("other")]);
  expect(keysOf(graph)).toEqual(["deps", "test", "types", "other"]);
  expect(edgesByKey(graph)).toEqual([
    ["deps", "test", "builds_in"],
    ["deps", "types", "builds_in"],
  ]);
});

test("a chain 100 000 steps deep is cut without recursion", () => {
  const count = 100_000;
  const nodes = Array.from({ length: count }, (_, i) => ({ step: { key: `s${i}`, cmd: "true" }, env: {} }));
  const edges = Array.from(
    { length: count - 1 },
    (_, i) => [i, i + 1, "builds_in"] as [number, number, "builds_in"],
  );
  // Built directly: parsing 100 000 steps costs far more than the cut under test.
  const ir: GraphIR = {
    version: "0",
    default_image: undefined,
    timeout_seconds: undefined,
    graph: { nodes, node_holes: [], edge_property: "directed", edges },
  };
  const { kept } = subgraphOf(ir, [count / 2]);
  expect(kept.length).toBe(count / 2 + 1);
  expect(kept.at(-1)).toBe(count / 2);
});
