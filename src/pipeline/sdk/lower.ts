/**
 * `pipeline([...leaves], opts)`: lowers a set of step chains to the graph IR
 * (`docs/design.md`, "Pipelines, keys and the IR"). Nodes are emitted parent-before-child, in leaf
 * order; `builds_in` goes to the nearest command ancestor; a `wait()` leaf
 * makes every later step depend on the steps emitted before it.
 */

import { cachePolicyToIR } from "./cache.ts";
import { type Duration, parseDuration } from "./duration.ts";
import { SdkError } from "./errors.ts";
import { recordLowered } from "./host-installers.ts";
import { resolveKeys } from "./keys.ts";
import { warnUnknownOptions } from "./options.ts";
import { Step } from "./step.ts";

/** Imageless root steps boot from this (toolchains assume apt). */
export const DEFAULT_IMAGE = "ubuntu:24.04";

/** Every step's env starts with these; pipeline env, then step env, go on top. */
const BASE_ENV: Readonly<Record<string, string>> = { DEBIAN_FRONTEND: "noninteractive", TERM: "dumb" };

export interface PipelineOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly timeout?: Duration;
  /** Accepted for compatibility with older pipeline files; ignored, as by the reference SDK. */
  readonly defaultImage?: string;
}

interface GraphNodeIR {
  step: Record<string, unknown>;
  env: Record<string, string>;
}

export interface PipelineIR {
  version: string;
  timeout_seconds?: number;
  graph: {
    nodes: GraphNodeIR[];
    node_holes: never[];
    edge_property: "directed";
    edges: [number, number, "builds_in" | "depends_on"][];
  };
}

export function pipeline(leaves: Step[], opts?: PipelineOptions): PipelineIR {
  if (!Array.isArray(leaves)) {
    throw new SdkError("pipeline() expects an array of steps as its first argument", {
      hint: "write pipeline([a, b]) rather than pipeline(a, b)",
      bare: true,
    });
  }
  if (leaves.length === 0) {
    throw new SdkError(
      "pipeline must have at least one leaf — pass the terminal step(s) of each branch as the first argument",
      { bare: true },
    );
  }
  leaves.forEach((leaf, i) => {
    if (!(leaf instanceof Step)) {
      throw new SdkError(
        `pipeline(): leaf ${i} is not a step (got ${leaf === null ? "null" : typeof leaf})`,
        {
          bare: true,
        },
      );
    }
  });
  if (opts !== undefined && opts !== null && typeof opts === "object")
    warnUnknownOptions(opts, ["env", "timeout", "defaultImage"], "pipeline() option");
  const ir: PipelineIR = { version: "0", graph: lowerToGraph(leaves, opts?.env) };
  if (opts?.timeout != null) ir.timeout_seconds = parseDuration(opts.timeout, "pipeline timeout");
  return ir;
}

function lowerToGraph(
  leaves: Step[],
  pipelineEnv: Readonly<Record<string, string>> | undefined,
): PipelineIR["graph"] {
  const ordered = collectInOrder(leaves);
  const commandSteps = ordered.filter((s) => s._cmd !== null && !s._isWait);
  const keys = resolveKeys(commandSteps);
  const indexOf = new Map(commandSteps.map((s, i) => [s._id, i]));

  const nodes: GraphNodeIR[] = [];
  const edges: PipelineIR["graph"]["edges"] = [];
  const hasParent = new Set<number>();
  let sinceBarrier: number[] = [];
  let barrierDeps: number[] = [];

  for (const s of ordered) {
    if (s._isWait) {
      // Two barriers in a row keep the dependencies of the first (the reference drops them).
      if (sinceBarrier.length > 0) {
        barrierDeps = sinceBarrier;
        sinceBarrier = [];
      }
      continue;
    }
    if (s._cmd === null) continue;

    const index = indexOf.get(s._id) as number;
    // Key order matters: `hm render` output is compared byte for byte with the reference SDK.
    const step: Record<string, unknown> = { key: keys.get(s._id), cmd: s._cmd };
    if (s._label != null) step.label = s._label;
    if (s._cache != null) step.cache = cachePolicyToIR(s._cache);
    if (s._timeoutSeconds != null) step.timeout_seconds = s._timeoutSeconds;
    if (s._image != null) step.image = s._image;
    if (s._runner != null) step.runner = s._runner;
    if (s._runnerArgs != null) step.runner_args = s._runnerArgs;
    nodes.push({ step, env: { ...BASE_ENV, ...pipelineEnv, ...s._env } });
    // Beside the IR, not in it: which of these steps a toolchain made to install software.
    recordLowered(s, step.key as string);

    const parent = nearestCommandAncestor(s);
    if (parent !== null) {
      edges.push([indexOf.get(parent._id) as number, index, "builds_in"]);
      hasParent.add(index);
    }
    for (const dep of barrierDeps) edges.push([dep, index, "depends_on"]);
    sinceBarrier.push(index);
  }

  nodes.forEach((node, i) => {
    if (!hasParent.has(i) && !("image" in node.step)) node.step.image = DEFAULT_IMAGE;
  });
  return { nodes, node_holes: [], edge_property: "directed", edges };
}

/** Every step reachable from the leaves, parents first, in leaf order. */
function collectInOrder(leaves: Step[]): Step[] {
  const seen = new Set<number>();
  const ordered: Step[] = [];
  for (const leaf of leaves) {
    if (leaf._isWait) {
      ordered.push(leaf);
      continue;
    }
    const chain: Step[] = [];
    for (let node: Step | null = leaf; node !== null && !seen.has(node._id); node = node._parent)
      chain.push(node);
    for (const s of chain.reverse()) {
      seen.add(s._id);
      ordered.push(s);
    }
  }
  return ordered;
}

function nearestCommandAncestor(s: Step): Step | null {
  for (let node = s._parent; node !== null; node = node._parent) {
    if (node._cmd !== null && !node._isWait) return node;
  }
  return null;
}
