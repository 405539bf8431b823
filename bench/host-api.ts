/**
 * Benchmark 2: what one host function costs a plugin. bench/plugins/host-loop.c calls `log`,
 * `kv_get`, `kv_set`, `should_cancel` (the `keep_going` slot), `emit_step_log` or
 * `emit_step_logs` (200 lines per call; its figure is per line) in a tight loop
 * inside one `execute_step`, timing the loop itself with CLOCK_MONOTONIC; the call runs through
 * hm's worker pool, so every host function is hm's own (JSCallback → worker host → SQLite KV or
 * postMessage to the main thread).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CallOutput } from "../src/plugins/call-output.ts";
import { Method } from "../src/plugins/host-table.ts";
import { WorkerPool } from "../src/plugins/worker-pool.ts";
import { decodeStepResult, encodeExecutorInput } from "../src/protocol/index.ts";
import { benchPlugin } from "./lib/native.ts";
import type { Benchmark, Section } from "./lib/report.ts";
import { inputFor } from "./lib/samples.ts";
import { fmt, spread, summarize } from "./lib/stats.ts";

const FUNCTIONS = ["should_cancel", "log", "emit_step_log", "emit_step_logs", "kv_get", "kv_set"] as const;
/** kv_set commits to SQLite each time: fewer iterations keep its rounds as short as the others'. */
const ITERATIONS: Record<(typeof FUNCTIONS)[number], number> = {
  should_cancel: 200_000,
  log: 100_000,
  emit_step_log: 100_000,
  emit_step_logs: 1_000_000,
  kv_get: 100_000,
  kv_set: 5_000,
};

export default {
  name: "host-api",
  title: "2. Host API cost",
  async run({ small }): Promise<Section> {
    const library = benchPlugin("host-loop");
    const scratch = mkdtempSync(join(tmpdir(), "hm-bench-host-"));
    const pool = new WorkerPool(1);
    const rounds = small ? 1 : 9;
    const samples = new Map<string, number[]>(FUNCTIONS.map((f) => [f, []]));
    let delivered = 0;
    try {
      for (let round = 0; round <= rounds; round++) {
        for (const fn of FUNCTIONS) {
          const iterations = small ? 100 : ITERATIONS[fn];
          const input = encodeExecutorInput(
            inputFor("bench-host-loop", { HOST_FN: fn, ITERATIONS: String(iterations) }),
          );
          // A flow-control slot, as callPlugin claims for every call of `hm run` (call-output.ts).
          const output = CallOutput.claim();
          const pending = pool.call(
            library,
            Method.executeStep,
            input,
            {
              pluginName: "hm-bench-host-loop",
              runId: "bench-run",
              stepId: "bench-step",
              configDir: null,
              archives: {},
              kvPath: join(scratch, "kv.sqlite"),
              ...(output === null ? {} : { outputSlot: output.slot }),
            },
            {
              onLog: () => void delivered++,
              onStepLog: () => void delivered++,
              onHandled: (bytes) => output?.handledBytes(bytes),
            },
          );
          const outcome = await pending.result;
          output?.free();
          if (outcome.output === null || outcome.status !== 1) throw new Error(`${fn}: the call failed`);
          const ns = Number(decodeStepResult(outcome.output).committed_snapshot);
          if (round > 0) samples.get(fn)?.push(ns / iterations); // round 0 warms up
        }
      }
    } finally {
      await pool.close();
      rmSync(scratch, { recursive: true, force: true });
    }
    const summaries = FUNCTIONS.map((fn) => [fn, summarize(samples.get(fn) ?? [])] as const);
    const worst = Math.max(...summaries.filter(([fn]) => fn !== "kv_set").map(([, s]) => s.median));
    return {
      tables: [
        {
          caption: `ns per call from C, median (min–max) of ${rounds} rounds; calls per round: ${FUNCTIONS.map((f) => `${f} ${small ? 100 : ITERATIONS[f]}`).join(", ")}.`,
          columns: ["host function", "ns per call", "what it does"],
          rows: summaries.map(([fn, s]) => [
            `\`${fn}\``,
            spread(s),
            {
              should_cancel: "JSCallback, one Atomics.load of the call's cancel flag",
              log: "JSCallback, memcpy the record into the call's shared batch, next to the step lines (decoded on the main thread, a batch at a time)",
              emit_step_log:
                "JSCallback, memcpy the line into the call's shared batch (one postMessage per 512 entries)",
              emit_step_logs:
                "per line, 200 lines per call: one JSCallback, the chunk copied into the batch in one go",
              kv_get: "JSCallback, answered from the call's read cache (SQLite SELECT on the first read)",
              kv_set: "JSCallback, SQLite INSERT OR REPLACE, one WAL commit per call",
            }[fn],
          ]),
        },
      ],
      targets: [
        {
          target: "host API call ≤ 150 ns (kv_set, a durable write, excepted; emit_step_logs per line)",
          measured: summaries
            .filter(([fn]) => fn !== "kv_set")
            .map(([fn, s]) => `${fn} ${fmt(s.median)} ns`)
            .join(", "),
          met: worst <= 150,
        },
      ],
      notes: [
        "`should_cancel` is the floor: one non-threadsafe JSCallback from C into the worker's JS and an Atomics.load. The others add their work on top:",
        "- `emit_step_logs` (host slot 12, hm 0.2): one callback per chunk of lines (what one read() of a child's pipe returns), copied into the call's batch with one copy; its cost per line is what a runner pays per line of output.\n" +
          "- `kv_get`: reads after the first in a call come from the call's read cache, checked against a process-wide count of KV writes (docs/design.md, KV reads), so what is left is the JSCallback, looking the key up, and writing the `hm_bytes` out-parameter. Plugin-scope reads (shared with other hm processes) still go to SQLite each time.\n" +
          "- `emit_step_log` and `log`: one callback per line or record, whose bytes libc's memcpy (through bun:ffi) copies into the call's shared batch: no `toArrayBuffer` view of the plugin's memory, no decoding, no message on the plugin's thread. Records and lines share the batch, so their order is kept; the main thread decodes and dispatches a batch at a time, and takes by itself the entries that waited 20 ms (a plugin that logs, then blocks without polling, still has its record shown). A runner that has many lines at once uses `emit_step_logs`.\n" +
          "- `kv_set` is a durable write (one WAL commit per call) by design and is not held to the target.",
        `Records and lines delivered to the main thread during the run: ${delivered.toLocaleString("en-US")} (log and emit_step_log share one ordered batch, as in \`hm run\`).`,
      ],
    };
  },
} satisfies Benchmark;
