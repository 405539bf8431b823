/**
 * The pipeline graph as the scheduler reads it: each step's IR node and its
 * place in the graph facts (`../chains.ts`), by node index, through checked
 * reads. What a step is told about its builds_in parent and children is
 * worked out here, once.
 */
import type { CommandStep } from "../../protocol/index.ts";
import type { GraphIR, GraphNode, GraphStep } from "../../protocol/ir.ts";
import type { StepHints } from "../../runner/contract.ts";
import { type GraphFacts, graphFacts } from "../chains.ts";
import { displayName } from "../events.ts";
import { at } from "./checked.ts";

export class StepGraph {
  private readonly nodes: readonly GraphNode[];
  private readonly facts: GraphFacts;

  constructor(ir: GraphIR) {
    this.nodes = ir.graph.nodes;
    this.facts = graphFacts(ir);
  }

  get size(): number {
    return this.nodes.length;
  }

  /** Node indexes, every step after all of its predecessors. */
  get order(): readonly number[] {
    return this.facts.order;
  }

  get chainCount(): number {
    return this.facts.chainCount;
  }

  step(i: number): GraphStep {
    return at(this.nodes, i, "step").step;
  }

  displayName(i: number): string {
    const step = this.step(i);
    return displayName(step.label, step.cmd);
  }

  /** The step's env: the pipeline's, under `hm run -e` values. */
  env(i: number, extra: Readonly<Record<string, string>>): Record<string, string> {
    return { ...at(this.nodes, i, "step").env, ...extra };
  }

  /** The step's builds_in parent (node index), or null. */
  parent(i: number): number | null {
    return at(this.facts.buildsInParent, i, "builds_in parent");
  }

  parentKey(i: number): string | null {
    const parent = this.parent(i);
    return parent === null ? null : this.step(parent).key;
  }

  hints(i: number): StepHints {
    const children = at(this.facts.buildsInChildren, i, "builds_in children");
    return { snapshotNeeded: children.length > 0, buildsInChildren: children.map((c) => this.step(c).key) };
  }

  predecessorCount(i: number): number {
    return at(this.facts.predecessors, i, "predecessor list").length;
  }

  successors(i: number): readonly number[] {
    return at(this.facts.successors, i, "successor list");
  }

  /** The step's place in `order`. */
  position(i: number): number {
    return at(this.facts.position, i, "position");
  }

  /** The step at a place in `order`. */
  atPosition(position: number): number {
    return at(this.facts.order, position, "step in topological order");
  }

  chainOf(i: number): number {
    return at(this.facts.chainOf, i, "chain");
  }

  positionInChain(i: number): number {
    return at(this.facts.positionInChain, i, "position in chain");
  }

  /** The protocol's CommandStep for the step (`builds_in` restored from the edge). */
  commandStep(i: number): CommandStep {
    const step = this.step(i);
    return {
      key: step.key,
      label: step.label ?? null,
      cmd: step.cmd,
      builds_in: this.parentKey(i),
      image: step.image ?? null,
      env: step.env ?? null,
      timeout_seconds: step.timeout_seconds ?? null,
      cache: step.cache ? { policy: step.cache.policy, key: step.cache.key ?? null } : null,
      runner: step.runner ?? null,
      // The IR's runner_args passed its schema as JSON, and JSON is a Value.
      runner_args: (step.runner_args ?? null) as CommandStep["runner_args"],
    };
  }
}
