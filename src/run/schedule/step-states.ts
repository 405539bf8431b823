/**
 * Where each step is in its life, and the queues that move steps along:
 *
 *   pending ── its last predecessor passed ──────▶ ready ── begin ──▶ running ──▶ passed, failed,
 *      │                                                                           timed_out, cancelled
 *      └─── a predecessor ended without passing ──▶ doomed ──▶ skipped              or errored
 *   pending, ready, doomed ── the build stopped (sweep) ──▶ skipped
 *   running ── stopped before its executor was called ────▶ skipped
 *
 * The last six are terminal: a step reaches exactly one (`ENTERED_FROM` holds
 * the arrows; any other move is hm's bug and throws).
 *
 * Dispatch is incremental, so a run costs time linear in steps + edges (a
 * 50 000-step cancel is one pass, not one pass per event): each step counts
 * the predecessors it still waits for, and a step's end moves its successors
 * to ready or doomed. Both queues hold positions in the topological order, so
 * `next` yields steps exactly as a scan of every step in that order would:
 * skips and starts interleaved by position, a skip cascading to dependants
 * later in the same pass.
 */
import { HmError } from "../../errors.ts";
import { IndexHeap } from "../index-heap.ts";
import { at } from "./checked.ts";
import type { StepGraph } from "./step-graph.ts";

/** How a step ended. */
export type Outcome = "passed" | "failed" | "timed_out" | "cancelled" | "errored" | "skipped";
/** How a step that ran to its executor's end ended. */
export type RunOutcome = Exclude<Outcome, "passed" | "skipped">;
export type StepState = "pending" | "ready" | "doomed" | "running" | Outcome;

/** The diagram above: each state, and the states it is entered from. */
const ENTERED_FROM: Readonly<Record<StepState, readonly StepState[]>> = {
  pending: [],
  ready: ["pending"],
  doomed: ["pending"],
  running: ["ready"],
  passed: ["running"],
  failed: ["running"],
  timed_out: ["running"],
  cancelled: ["running"],
  errored: ["running"],
  skipped: ["pending", "ready", "doomed", "running"],
};

/** What dispatch does next: skip a doomed step, or start a ready one. */
export interface Dispatch {
  readonly action: "skip" | "start";
  readonly step: number;
}

export class StepStates {
  private readonly states: StepState[];
  /** Per step, the predecessors that have not passed yet. */
  private readonly waitingOn: number[];
  /** The positions (in the topological order) of ready steps. */
  private readonly ready = new IndexHeap();
  /** The positions of doomed steps. */
  private readonly doomed = new IndexHeap();
  /** What each passed step committed for its builds_in children. */
  private readonly snapshots: (string | null)[];
  /** Steps not in a terminal state yet. */
  private unfinished: number;
  private swept = false;
  /**
   * How many times dispatch looked at a step or an edge: at most a few per
   * step and edge however the run goes (tests check it stays linear).
   */
  visits = 0;

  constructor(private readonly graph: StepGraph) {
    const size = graph.size;
    this.states = new Array<StepState>(size).fill("pending");
    this.waitingOn = new Array<number>(size);
    this.snapshots = new Array<string | null>(size).fill(null);
    this.unfinished = size;
    for (let i = 0; i < size; i++) {
      this.waitingOn[i] = graph.predecessorCount(i);
      if (this.waitingOn[i] === 0) this.enqueue(i, "ready");
    }
  }

  /** Every step is in a terminal state. */
  get done(): boolean {
    return this.unfinished === 0;
  }

  /** Some step ended this way. */
  any(outcome: Outcome): boolean {
    return this.states.includes(outcome);
  }

  snapshotOf(step: number): string | null {
    return at(this.snapshots, step, "snapshot");
  }

  /**
   * The next step for dispatch, the lower position first: a doomed step to
   * skip, or, when a slot is free, a ready step to start; null when neither.
   */
  next(slotFree: boolean): Dispatch | null {
    for (;;) {
      const doomed = this.doomed.peek();
      const ready = slotFree ? this.ready.peek() : undefined;
      if (doomed !== undefined && (ready === undefined || doomed < ready)) {
        this.doomed.pop();
        this.visits++;
        const step = this.graph.atPosition(doomed);
        if (this.state(step) === "doomed") return { action: "skip", step };
      } else if (ready !== undefined) {
        this.ready.pop();
        this.visits++;
        const step = this.graph.atPosition(ready);
        if (this.state(step) === "ready") return { action: "start", step };
      } else {
        return null;
      }
    }
  }

  /** ready → running: the step has a slot. */
  begin(step: number): void {
    this.move(step, "running");
  }

  /** running → passed (its executor exited 0, or the cache had it): its successors wait for one less. */
  pass(step: number, snapshot: string | null): void {
    this.move(step, "passed");
    this.snapshots[step] = snapshot;
    this.concluded(step, true);
  }

  /** running → how it ended without passing: its successors are doomed. */
  end(step: number, outcome: RunOutcome): void {
    this.move(step, outcome);
    this.concluded(step, false);
  }

  /** A step not started (or stopped before its executor was called) → skipped: its successors are doomed. */
  skip(step: number): void {
    this.move(step, "skipped");
    this.concluded(step, false);
  }

  /**
   * Once the build stops: hands every step not started yet, in topological
   * order, to `skip` (which skips it, with the reason of that moment), and
   * empties the queues. Later calls do nothing.
   */
  sweep(skip: (step: number) => void): void {
    if (this.swept) return;
    // Marked first: a skip's event may stop the build again, and that sweep is this one.
    this.swept = true;
    for (const step of this.graph.order) {
      this.visits++;
      const state = this.state(step);
      if (state === "pending" || state === "ready" || state === "doomed") skip(step);
    }
    this.ready.clear();
    this.doomed.clear();
  }

  private state(step: number): StepState {
    return at(this.states, step, "step state");
  }

  private move(step: number, to: StepState): void {
    const from = this.state(step);
    if (!ENTERED_FROM[to].includes(from)) {
      throw new HmError(
        "E_INTERNAL",
        `scheduler: step '${this.graph.step(step).key}' cannot go from ${from} to ${to}`,
      );
    }
    this.states[step] = to;
  }

  /** pending → ready or doomed, joining its queue. */
  private enqueue(step: number, to: "ready" | "doomed"): void {
    this.move(step, to);
    (to === "ready" ? this.ready : this.doomed).push(this.graph.position(step));
  }

  /** Tells the successors of a step that reached its terminal state. */
  private concluded(step: number, passed: boolean): void {
    this.unfinished--;
    for (const next of this.graph.successors(step)) {
      this.visits++;
      // Only pending steps move: a doomed one stays doomed, a swept one stays skipped.
      if (this.state(next) !== "pending") continue;
      if (!passed) {
        this.enqueue(next, "doomed");
        continue;
      }
      const waiting = at(this.waitingOn, next, "predecessor count") - 1;
      this.waitingOn[next] = waiting;
      if (waiting === 0) this.enqueue(next, "ready");
    }
  }
}
