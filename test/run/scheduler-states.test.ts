/**
 * The scheduler's state machines on their own: a step's states and the
 * dispatch order, and how a step's end settles to an outcome. (The event
 * order and exit codes of whole runs, with a real plugin, are in
 * scheduler.test.ts.)
 */
import { describe, expect, test } from "bun:test";
import { HmError } from "../../src/errors.ts";
import { checkGraph } from "../../src/pipeline/graph.ts";
import { StepGraph } from "../../src/run/schedule/step-graph.ts";
import { type Ended, settlement } from "../../src/run/schedule/step-run.ts";
import { StepStates } from "../../src/run/schedule/step-states.ts";
import { irJson } from "../helpers/ir.ts";

/** Steps a, b, c, d: b and c depend on a, d is built in c. */
function diamondish(): StepGraph {
  const ir = irJson(
    [{ key: "a" }, { key: "b" }, { key: "c" }, { key: "d" }],
    [
      ["a", "b", "depends_on"],
      ["a", "c", "depends_on"],
      ["c", "d", "builds_in"],
    ],
  );
  return new StepGraph(checkGraph(JSON.parse(ir)));
}

describe("step states", () => {
  test("a passing step makes its successors ready, in topological order; its snapshot is kept", () => {
    const graph = diamondish();
    const steps = new StepStates(graph);
    expect(steps.next(true)).toEqual({ action: "start", step: 0 });
    expect(steps.next(true)).toBeNull();
    steps.begin(0);
    steps.pass(0, "snap-a");
    expect(steps.snapshotOf(0)).toBe("snap-a");
    expect(steps.next(true)).toEqual({ action: "start", step: 1 });
    // No free slot: a ready step waits.
    expect(steps.next(false)).toBeNull();
    expect(steps.next(true)).toEqual({ action: "start", step: 2 });
    expect(graph.parentKey(3)).toBe("c");
    expect(graph.commandStep(3).builds_in).toBe("c");
  });

  test("a step that ends without passing dooms its successors, and dispatch skips them in order", () => {
    const steps = new StepStates(diamondish());
    steps.next(true);
    steps.begin(0);
    steps.end(0, "failed");
    expect(steps.next(false)).toEqual({ action: "skip", step: 1 });
    steps.skip(1);
    expect(steps.next(false)).toEqual({ action: "skip", step: 2 });
    steps.skip(2);
    // The skip cascades to c's dependant within the same pass.
    expect(steps.next(false)).toEqual({ action: "skip", step: 3 });
    steps.skip(3);
    expect(steps.done).toBe(true);
    expect(steps.any("failed")).toBe(true);
  });

  test("a step reaches exactly one terminal state: a second one is refused as hm's own bug", () => {
    const steps = new StepStates(diamondish());
    steps.next(true);
    steps.begin(0);
    steps.pass(0, null);
    const second = () => steps.end(0, "cancelled");
    expect(second).toThrow(HmError);
    expect(second).toThrow("scheduler: step 'a' cannot go from passed to cancelled");
    // Neither can a step start before it is ready.
    expect(() => steps.begin(3)).toThrow("cannot go from pending to running");
  });

  test("the sweep hands over every step not started, once, in topological order", () => {
    const steps = new StepStates(diamondish());
    steps.next(true);
    steps.begin(0);
    const swept: number[] = [];
    steps.sweep((step) => {
      swept.push(step);
      steps.skip(step);
    });
    steps.sweep((step) => swept.push(step));
    expect(swept).toEqual([1, 2, 3]);
    expect(steps.done).toBe(false); // a is still running
  });
});

describe("settling a step's end", () => {
  const returned = (exit_code: number, timedOut = false): Ended => ({
    ending: { kind: "returned", result: { exit_code, committed_snapshot: "snap", artifacts: [] } },
    timedOut,
  });

  test("exit 0 passes with its snapshot; another exit fails its chain", () => {
    expect(settlement(returned(0), null, "k", undefined)).toEqual({
      outcome: "passed",
      exitCode: 0,
      snapshot: "snap",
      failure: null,
      error: null,
    });
    expect(settlement(returned(3), null, "k", undefined)).toMatchObject({
      outcome: "failed",
      exitCode: 3,
      snapshot: null,
      failure: "step 'k' exited with code 3",
    });
  });

  test("the executor's error outranks its timeout, and the timeout outranks a stop", () => {
    const threw: Ended = { ending: { kind: "threw", message: "plugin crashed" }, timedOut: true };
    expect(settlement(threw, "user", "k", 1)).toMatchObject({
      outcome: "errored",
      exitCode: 1,
      failure: "plugin crashed",
      error: "plugin crashed",
    });
    expect(settlement(returned(130, true), "user", "k", 1)).toMatchObject({
      outcome: "timed_out",
      exitCode: 124,
      failure: "step 'k' timed out after 1s",
    });
  });

  test("a stop by the user, a hook or the pipeline timeout, or an abandoned step, ends it cancelled", () => {
    for (const why of ["user", "aborted", "pipeline_timeout"] as const) {
      expect(settlement(returned(0), why, "k", undefined)).toMatchObject({
        outcome: "cancelled",
        exitCode: 130,
      });
    }
    expect(
      settlement({ ending: { kind: "abandoned" }, timedOut: false }, null, "k", undefined),
    ).toMatchObject({
      outcome: "cancelled",
      exitCode: 130,
      failure: null,
    });
  });

  test("while another step's failure stops the build, exit 130 is cancelled, exit 0 still passes", () => {
    expect(settlement(returned(130), "failure", "k", undefined)).toMatchObject({ outcome: "cancelled" });
    expect(settlement(returned(0), "failure", "k", undefined)).toMatchObject({ outcome: "passed" });
    expect(settlement(returned(2), "failure", "k", undefined)).toMatchObject({
      outcome: "failed",
      exitCode: 2,
    });
  });
});
