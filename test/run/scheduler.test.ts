/**
 * The scheduler with the real noop plugin on worker threads: event order for
 * pass, fail, keep-going, timeout and cancel; exit codes; parallelism; a
 * 200-step diamond lattice; at scale, a 100 000-deep chain and a cancelled
 * 50 000-step fan-out, with dispatch work linear in steps + edges.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { silentLogger } from "../../src/log.ts";
import { checkGraph } from "../../src/pipeline/graph.ts";
import { openPlugin } from "../../src/plugins/registry.ts";
import { WorkerPool } from "../../src/plugins/worker-pool.ts";
import type { GraphIR } from "../../src/protocol/ir.ts";
import type { HmEvent } from "../../src/run/events.ts";
import { pluginExecutor } from "../../src/run/plugin-executor.ts";
import { schedule } from "../../src/run/scheduler.ts";
import { tempDir } from "../helpers/hm.ts";
import { fixturePath } from "../helpers/native.ts";

const state = tempDir("hm-sched-");
afterAll(() => state.cleanup());
let pool: WorkerPool;
afterEach(async () => {
  await pool?.close();
});

const opened = openPlugin(fixturePath("noop-executor"), "user");
if (!("entry" in opened)) throw new Error(opened.broken.reason);
const noop = opened.entry;

type Node = { key: string; env?: Record<string, string>; timeout?: number };
function graph(
  steps: Node[],
  edges: [string, string, "builds_in" | "depends_on"][],
  timeout?: number,
): GraphIR {
  const index = new Map(steps.map((s, i) => [s.key, i]));
  return checkGraph({
    version: "0",
    ...(timeout !== undefined ? { timeout_seconds: timeout } : {}),
    graph: {
      nodes: steps.map((s) => ({
        step: {
          key: s.key,
          cmd: `run ${s.key}`,
          runner: "noop",
          ...(s.timeout !== undefined ? { timeout_seconds: s.timeout } : {}),
        },
        env: s.env ?? {},
      })),
      node_holes: [],
      edge_property: "directed",
      edges: edges.map(([a, b, k]) => [index.get(a) as number, index.get(b) as number, k]),
    },
  });
}

/**
 * A large graph built directly: `n` steps `s<i>`, edges by index. (Not through
 * checkGraph: the pipeline layer's checks are its own tests' business.)
 */
function bigGraph(n: number, edges: [number, number, "builds_in" | "depends_on"][], env = {}): GraphIR {
  return {
    version: "0",
    graph: {
      nodes: Array.from({ length: n }, (_, i) => ({
        step: { key: `s${i}`, cmd: "true", runner: "noop" },
        env: i === 0 ? {} : env,
      })),
      node_holes: [],
      edge_property: "directed",
      edges,
    },
  };
}

async function run(
  ir: GraphIR,
  options: {
    keepGoing?: boolean;
    parallelism?: number;
    signal?: AbortSignal;
    onEvent?: (event: HmEvent) => void;
  } = {},
) {
  pool = new WorkerPool(options.parallelism ?? 4);
  const events: HmEvent[] = [];
  const executor = pluginExecutor(noop, "noop", {
    pool,
    kvPath: join(state.path, "kv.sqlite"),
    configDir: null,
    archives: {},
    log: silentLogger(),
  });
  const result = await schedule({
    graph: ir,
    runId: crypto.randomUUID(),
    archiveId: crypto.randomUUID(),
    parallelism: options.parallelism ?? 4,
    keepGoing: options.keepGoing ?? false,
    defaultRunner: "noop",
    executors: ir.graph.nodes.map(() => executor),
    extraEnv: {},
    emit: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
    stopGraceMs: 2000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const keyOf = new Map(
    events.flatMap((e) => (e.kind === "step_queued" ? [[e.step_id, e.key] as const] : [])),
  );
  /** "kind key [exit]" per event, for order checks. */
  const trace = events.map((e) => {
    const id = "step_id" in e ? e.step_id : "failed_step_id" in e ? e.failed_step_id : undefined;
    const key = id ? ` ${keyOf.get(id)}` : "";
    const extra =
      e.kind === "step_end"
        ? ` ${e.exit_code}`
        : e.kind === "step_skipped"
          ? ` (${e.reason})`
          : e.kind === "build_end"
            ? ` ${e.exit_code}`
            : "";
    return `${e.kind}${key}${extra}`;
  });
  return { ...result, events, trace };
}

/** The terminal events of one step, in order. */
const stepTrace = (trace: string[], key: string) =>
  trace.filter((t) => t.split(" ")[1] === key && !t.startsWith("step_queued"));

describe("scheduler", () => {
  test("a passing chain: queued first, then start/end per step in dependency order, exit 0", async () => {
    const { exitCode, trace } = await run(
      graph(
        [{ key: "a" }, { key: "b" }, { key: "c" }],
        [
          ["a", "b", "builds_in"],
          ["b", "c", "builds_in"],
        ],
      ),
    );
    expect(exitCode).toBe(0);
    expect(trace).toEqual([
      "build_start",
      "step_queued a",
      "step_queued b",
      "step_queued c",
      "step_start a",
      "step_end a 0",
      "step_start b",
      "step_end b 0",
      "step_start c",
      "step_end c 0",
      "build_end 0",
    ]);
  });

  test("step_queued carries the parent key, display name and position in chain", async () => {
    const { events } = await run(graph([{ key: "a" }, { key: "b" }], [["a", "b", "builds_in"]]));
    const queued = events.filter((e) => e.kind === "step_queued");
    expect(queued.map((e) => [e.key, e.parent_key, e.display_name, e.chain_idx])).toEqual([
      ["a", null, "run a", 0],
      ["b", "a", "run b", 1],
    ]);
  });

  test("a failure ends the step, fails the chain, and skips dependants; exit 1", async () => {
    const { exitCode, trace } = await run(
      graph([{ key: "a", env: { NOOP_EXIT: "3" } }, { key: "b" }], [["a", "b", "builds_in"]]),
    );
    expect(exitCode).toBe(1);
    expect(stepTrace(trace, "a")).toEqual(["step_start a", "step_end a 3", "chain_failed a"]);
    expect(stepTrace(trace, "b")).toEqual(["step_skipped b (dependency failed)"]);
  });

  test("without keep-going a failure cancels running steps (130) and skips what has not started", async () => {
    const { exitCode, trace } = await run(
      graph(
        [
          { key: "fail", env: { NOOP_SLEEP_MS: "100", NOOP_EXIT: "1" } },
          { key: "slow", env: { NOOP_SLEEP_MS: "10000" } },
          { key: "later" },
        ],
        [["slow", "later", "builds_in"]],
      ),
    );
    expect(exitCode).toBe(1);
    expect(stepTrace(trace, "slow")).toEqual(["step_start slow", "step_end slow 130"]);
    expect(stepTrace(trace, "later")).toEqual(["step_skipped later (dependency failed)"]);
  });

  test("with keep-going independent branches finish and only dependants are skipped", async () => {
    const { exitCode, trace } = await run(
      graph(
        [
          { key: "bad", env: { NOOP_EXIT: "2" } },
          { key: "after-bad" },
          { key: "good", env: { NOOP_SLEEP_MS: "200" } },
          { key: "after-good" },
        ],
        [
          ["bad", "after-bad", "builds_in"],
          ["good", "after-good", "builds_in"],
        ],
      ),
      { keepGoing: true },
    );
    expect(exitCode).toBe(1);
    expect(stepTrace(trace, "after-bad")).toEqual(["step_skipped after-bad (dependency failed)"]);
    expect(stepTrace(trace, "after-good")).toEqual(["step_start after-good", "step_end after-good 0"]);
  });

  test("a step timeout ends it with 124 and says so; exit 124", async () => {
    const { exitCode, events, trace } = await run(
      graph([{ key: "slow", timeout: 1, env: { NOOP_SLEEP_MS: "10000" } }], []),
    );
    expect(exitCode).toBe(124);
    expect(stepTrace(trace, "slow")).toEqual(["step_start slow", "step_end slow 124", "chain_failed slow"]);
    const failed = events.find((e) => e.kind === "chain_failed");
    expect(failed?.kind === "chain_failed" && failed.message).toBe("step 'slow' timed out after 1s");
  });

  test("the pipeline timeout stops everything; exit 124", async () => {
    const { exitCode, trace } = await run(
      graph(
        [{ key: "slow", env: { NOOP_SLEEP_MS: "10000" } }, { key: "next" }],
        [["slow", "next", "depends_on"]],
        1,
      ),
    );
    expect(exitCode).toBe(124);
    expect(stepTrace(trace, "slow")).toEqual(["step_start slow", "step_end slow 130"]);
    expect(stepTrace(trace, "next")).toEqual(["step_skipped next (cancelled)"]);
  });

  test("the user's cancel ends running steps with 130 and skips the rest; exit 130", async () => {
    const controller = new AbortController();
    const { exitCode, trace } = await run(
      graph(
        [{ key: "slow", env: { NOOP_SLEEP_MS: "10000" } }, { key: "next" }],
        [["slow", "next", "builds_in"]],
      ),
      {
        signal: controller.signal,
        // Once the step has started (not after 200 ms, which a loaded machine may spend before it).
        onEvent: (e) => {
          if (e.kind === "step_start") setTimeout(() => controller.abort(), 0);
        },
      },
    );
    expect(exitCode).toBe(130);
    expect(stepTrace(trace, "slow")).toEqual(["step_start slow", "step_end slow 130"]);
    expect(stepTrace(trace, "next")).toEqual(["step_skipped next (cancelled)"]);
  });

  test("parallelism bounds how many steps run at once", async () => {
    const steps = Array.from({ length: 4 }, (_, i) => ({ key: `s${i}`, env: { NOOP_SLEEP_MS: "300" } }));
    const started = performance.now();
    const { exitCode } = await run(graph(steps, []), { parallelism: 2 });
    expect(exitCode).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(580);
  });

  test("200 steps in a diamond lattice finish with every event present, in dependency order", async () => {
    const width = 10;
    const layers = 20;
    const steps = Array.from({ length: width * layers }, (_, i) => ({ key: `n${i}` }));
    const edges: [string, string, "depends_on"][] = [];
    for (let layer = 1; layer < layers; layer++) {
      for (let j = 0; j < width; j++) {
        edges.push([`n${(layer - 1) * width + j}`, `n${layer * width + j}`, "depends_on"]);
        edges.push([`n${(layer - 1) * width + ((j + 1) % width)}`, `n${layer * width + j}`, "depends_on"]);
      }
    }
    const { exitCode, trace } = await run(graph(steps, edges), { parallelism: 4 });
    expect(exitCode).toBe(0);
    expect(trace.filter((t) => t.startsWith("step_queued"))).toHaveLength(200);
    expect(trace.filter((t) => t.startsWith("step_end") && t.endsWith(" 0"))).toHaveLength(200);
    const endAt = new Map(
      trace.flatMap((t, i) => (t.startsWith("step_end") ? [[t.split(" ")[1], i] as const] : [])),
    );
    const startAt = new Map(
      trace.flatMap((t, i) => (t.startsWith("step_start") ? [[t.split(" ")[1], i] as const] : [])),
    );
    for (const [from, to] of edges) expect(endAt.get(from) as number).toBeLessThan(startAt.get(to) as number);
  }, 60_000);
});

describe("a step that ignores cancellation", () => {
  test("is abandoned after the grace period and the next step still runs with parallelism 1", async () => {
    try {
      const path = fixturePath("stubborn-runner");
      const entry = openPlugin(path, "user");
      if (!("entry" in entry)) throw new Error(entry.broken.reason);
      pool = new WorkerPool(1);
      const executor = pluginExecutor(entry.entry, "stubborn", {
        pool,
        kvPath: join(state.path, "kv.sqlite"),
        configDir: null,
        archives: {},
        log: silentLogger(),
      });
      const ir = graph(
        // The stubborn call sleeps far longer than the schedule takes, even on a loaded machine.
        [{ key: "slow", timeout: 1, env: { STUBBORN_SLEEP_MS: "8000" } }, { key: "quick" }],
        [],
      );
      const events: HmEvent[] = [];
      const result = await schedule({
        graph: ir,
        runId: crypto.randomUUID(),
        archiveId: crypto.randomUUID(),
        parallelism: 1,
        keepGoing: true,
        defaultRunner: "stubborn",
        executors: [executor, executor],
        extraEnv: {},
        emit: (e) => events.push(e),
        stopGraceMs: 200,
      });
      expect(result.exitCode).toBe(124);
      expect(
        events.filter((e) => e.kind === "step_end").map((e) => e.kind === "step_end" && e.exit_code),
      ).toEqual([124, 0]);
      // The fast step ran on a fresh worker while the stubborn call was still sleeping in the plugin
      // (its cancel slot still taken), not after it returned (a wall-time bound said this, and failed
      // on a loaded machine).
      expect(pool.freeCancelSlots).toBe(4095);
      // Once the abandoned call returns, its cancel slot is free again (none leaks per abandoned call).
      for (let waited = 0; waited < 20_000 && pool.freeCancelSlots < 4096; waited += 50) await Bun.sleep(50);
      expect(pool.freeCancelSlots).toBe(4096);
    } finally {
      await pool.close();
    }
  });
});

describe("at scale", () => {
  /** Step id → its terminal events (step_end, step_cache_hit, step_skipped), and the build_end count. */
  function accounting(events: HmEvent[]) {
    const queued = events.filter((e) => e.kind === "step_queued").map((e) => e.step_id);
    const terminal = new Map<string, number>(queued.map((id) => [id, 0]));
    for (const e of events)
      if (e.kind === "step_end" || e.kind === "step_cache_hit" || e.kind === "step_skipped")
        terminal.set(e.step_id, (terminal.get(e.step_id) ?? 0) + 1);
    return {
      queued: queued.length,
      distinctQueued: new Set(queued).size,
      notExactlyOnce: [...terminal].filter(([, count]) => count !== 1).length,
      buildEnds: events.filter((e) => e.kind === "build_end").length,
    };
  }

  test("a 100 000-deep builds_in chain runs to success on the noop runner, dispatch linear in its size", async () => {
    const n = 100_000;
    const edges = Array.from({ length: n - 1 }, (_, i): [number, number, "builds_in"] => [
      i,
      i + 1,
      "builds_in",
    ]);
    try {
      const { exitCode, events, dispatchVisits } = await run(bigGraph(n, edges), { parallelism: 2 });
      expect(exitCode).toBe(0);
      expect(accounting(events)).toEqual({ queued: n, distinctQueued: n, notExactlyOnce: 0, buildEnds: 1 });
      const queued = events.filter((e) => e.kind === "step_queued");
      // One chain: each step sits one further along it than its parent.
      expect(queued.at(-1)).toMatchObject({ key: `s${n - 1}`, parent_key: `s${n - 2}`, chain_idx: n - 1 });
      const ends = events.filter((e) => e.kind === "step_end");
      expect(ends.every((e) => e.kind === "step_end" && e.exit_code === 0)).toBe(true);
      // Strictly one after the other: each start follows the end of the step before it.
      const kinds = events.filter((e) => e.kind === "step_start" || e.kind === "step_end").map((e) => e.kind);
      expect(kinds.every((k, i) => k === (i % 2 === 0 ? "step_start" : "step_end"))).toBe(true);
      // A scan of every step per event would be ~n²/2 = 5·10⁹ visits.
      expect(dispatchVisits).toBeLessThanOrEqual(4 * (n + edges.length));
    } finally {
    }
  }, 240_000);

  test("a cancelled 50 000-step fan-out accounts for every step exactly once, dispatch linear in its size", async () => {
    const n = 50_000;
    const edges = Array.from({ length: n - 1 }, (_, i): [number, number, "depends_on"] => [
      0,
      i + 1,
      "depends_on",
    ]);
    const controller = new AbortController();
    let started = 0;
    try {
      // The root passes at once; every other step sleeps until told to stop. Cancel once two run.
      const { exitCode, events, dispatchVisits } = await run(
        bigGraph(n, edges, { NOOP_SLEEP_MS: "600000" }),
        {
          parallelism: 2,
          onEvent: (e) => {
            // Later, as a Ctrl-C would come: not from inside the scheduler's own emit.
            if (e.kind === "step_start" && ++started === 3) setTimeout(() => controller.abort(), 0);
          },
          signal: controller.signal,
        },
      );
      expect(exitCode).toBe(130);
      expect(accounting(events)).toEqual({ queued: n, distinctQueued: n, notExactlyOnce: 0, buildEnds: 1 });
      const ends = events.flatMap((e) => (e.kind === "step_end" ? [e.exit_code] : []));
      expect(ends).toEqual([0, 130, 130]);
      const skipped = events.filter((e) => e.kind === "step_skipped");
      expect(skipped).toHaveLength(n - 3);
      expect(skipped.every((e) => e.kind === "step_skipped" && e.reason === "cancelled")).toBe(true);
      expect(events.at(-1)).toMatchObject({ kind: "build_end", exit_code: 130 });
      expect(dispatchVisits).toBeLessThanOrEqual(4 * (n + edges.length));
    } finally {
    }
  }, 120_000);
});
