/**
 * Reads IR in either encoding into the graph form and checks the graph:
 * node references, duplicate keys, one builds_in parent per step, no cycles.
 * Every message names the steps involved.
 */
import * as v from "valibot";
import { HmError } from "../errors.ts";
import {
  type Edge,
  type GraphIR,
  GraphIRSchema,
  type GraphNode,
  type StepsListIR,
  StepsListIRSchema,
} from "../protocol/ir.ts";

/** Parses IR JSON of either encoding; the result is a checked graph. */
export function parseIR(input: unknown): GraphIR {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw invalid("IR must be a JSON object");
  }
  if ("graph" in input) return checkGraph(validate(GraphIRSchema, input));
  if ("steps" in input) return checkGraph(stepsListToGraph(validate(StepsListIRSchema, input)));
  throw invalid("IR has neither 'graph' (graph format) nor 'steps' (steps-list format)");
}

function validate<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  throw invalid(describeIssue(result.issues[0], input));
}

/** "step 'build': timeout_seconds: must be > 0 (got 0)" rather than a bare path. */
function describeIssue(issue: v.BaseIssue<unknown>, input: unknown): string {
  const path = (issue.path ?? []).map((item) => item.key as string | number);
  let where = "";
  let rest = path;
  const stepAt = (list: unknown, i: unknown): string => {
    const key = Array.isArray(list)
      ? (list[i as number] as { key?: unknown; step?: { key?: unknown } })
      : undefined;
    const k = key?.step?.key ?? key?.key;
    return typeof k === "string" && k !== "" ? `step '${k}'` : `step #${i}`;
  };
  const root = input as { graph?: { nodes?: unknown }; steps?: unknown };
  if (path[0] === "graph" && path[1] === "nodes" && path.length >= 3) {
    where = stepAt(root.graph?.nodes, path[2]);
    rest = path.slice(path[3] === "step" ? 4 : 3);
  } else if (path[0] === "steps" && path.length >= 2) {
    where = stepAt(root.steps, path[1]);
    rest = path.slice(2);
  }
  const field = rest.map((key, i) => (i === 0 ? String(key) : fieldKey(key))).join("");
  const location = [where, field].filter((s) => s !== "").join(": ");
  const message = issue.message.startsWith("Invalid key") ? "unexpected value" : issue.message;
  return location === "" ? message : `${location}: ${message}`;
}

/** `.name` for a plain name; a quoted `["A=B"]` for one that holds what the reader must see (NUL, `=`, nothing). */
function fieldKey(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  return /^[\w.-]+$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** Steps-list → graph (`docs/design.md`, "Pipelines, keys and the IR"): node env = pipeline env + step env; a wait orders all earlier steps first. */
function stepsListToGraph(ir: StepsListIR): GraphIR {
  const commands = ir.steps.flatMap((s, position) => (s.type === "command" ? [{ step: s, position }] : []));
  const indexOfKey = new Map<string, number>();
  commands.forEach(({ step }, i) => {
    if (indexOfKey.has(step.key)) throw invalid(`two steps share the key '${step.key}'`);
    indexOfKey.set(step.key, i);
  });

  const nodes: GraphNode[] = [];
  const edges: Edge[] = [];
  let waitDeps: number[] = [];
  const seen: number[] = [];
  for (const s of ir.steps) {
    if (s.type === "wait") {
      waitDeps = [...seen];
      continue;
    }
    const index = nodes.length;
    const { type: _type, builds_in, env, ...step } = s;
    const image = step.image ?? (builds_in === undefined ? ir.default_image : undefined);
    nodes.push({ step: image === undefined ? step : { ...step, image }, env: { ...ir.env, ...env } });
    if (builds_in !== undefined) {
      const parent = indexOfKey.get(builds_in);
      if (parent === undefined)
        throw invalid(`step '${s.key}' builds_in references unknown step '${builds_in}'`);
      edges.push([parent, index, "builds_in"]);
    }
    for (const dep of waitDeps) edges.push([dep, index, "depends_on"]);
    seen.push(index);
  }
  return {
    version: "0",
    default_image: ir.default_image,
    timeout_seconds: ir.timeout_seconds,
    graph: { nodes, node_holes: [], edge_property: "directed", edges },
  };
}

export function checkGraph(ir: GraphIR): GraphIR {
  const { nodes, edges, node_holes } = ir.graph;
  if (node_holes.length > 0) throw invalid("graph.node_holes must be empty (the graph has removed nodes)");
  const keyOf = (i: number) => `'${nodes[i]?.step.key}'`;

  const firstIndexOfKey = new Map<string, number>();
  nodes.forEach((node, i) => {
    const earlier = firstIndexOfKey.get(node.step.key);
    if (earlier !== undefined) {
      throw invalid(`two steps share the key '${node.step.key}' (nodes ${earlier} and ${i})`);
    }
    firstIndexOfKey.set(node.step.key, i);
  });

  const buildsInParent = new Map<number, number>();
  edges.forEach(([from, to, kind], e) => {
    for (const end of [from, to]) {
      if (end >= nodes.length) {
        throw invalid(
          `edge ${e} [${from}, ${to}, "${kind}"] refers to node ${end}, but there are ${nodes.length} nodes`,
        );
      }
    }
    if (from === to) throw invalid(`step ${keyOf(from)} depends on itself (edge ${e})`);
    if (kind === "builds_in") {
      const other = buildsInParent.get(to);
      if (other !== undefined && other !== from) {
        throw invalid(
          `step ${keyOf(to)} has two builds_in parents, ${keyOf(other)} and ${keyOf(from)}; a step boots from one snapshot`,
        );
      }
      buildsInParent.set(to, from);
    }
  });

  const cycle = findCycle(nodes.length, edges);
  if (cycle !== null) throw invalid(`cycle: ${cycle.map(keyOf).join(" → ")}`);
  return ir;
}

/**
 * A cycle as a list of node indexes (first repeated at the end), or null.
 * Depth-first with an explicit stack: a 100 000-step chain is as deep as the
 * graph gets, far deeper than the call stack.
 */
function findCycle(count: number, edges: readonly Edge[]): number[] | null {
  const successors: number[][] = Array.from({ length: count }, () => []);
  for (const [from, to] of edges) successors[from]?.push(to);
  const state = new Uint8Array(count); // 0 new, 1 on the path, 2 done
  const path: number[] = [];
  const nextEdge: number[] = []; // per path entry: the next successor to try
  for (let start = 0; start < count; start++) {
    if (state[start] !== 0) continue;
    state[start] = 1;
    path.push(start);
    nextEdge.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top] as number;
      const next = (successors[node] as number[])[nextEdge[top] as number];
      if (next === undefined) {
        state[node] = 2;
        path.pop();
        nextEdge.pop();
        continue;
      }
      nextEdge[top] = (nextEdge[top] as number) + 1;
      if (state[next] === 1) return [...path.slice(path.indexOf(next)), next];
      if (state[next] === 0) {
        state[next] = 1;
        path.push(next);
        nextEdge.push(0);
      }
    }
  }
  return null;
}

function invalid(message: string): HmError {
  return new HmError("E_PIPELINE_INVALID", message);
}
