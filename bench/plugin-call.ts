/**
 * Benchmark 1: one plugin call round trip — a noop `execute_step` with a realistic ExecutorInput
 * (≈0.9 KB of borsh), its StepResult decoded — by every way of hosting a plugin:
 * hm's worker pool (its shared-memory channel: SharedArrayBuffer + Atomics.notify/waitAsync),
 * a worker dispatched with postMessage (hm's design before the channel), a direct call on the
 * main thread, the same C compiled to WebAssembly,
 * an executable spawned per call, and a long-lived plugin process answering over a pipe.
 * Every contender runs the same C (bench/plugins/noop-step.c) through the same SDK.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallContext } from "../src/plugins/call-context.ts";
import { HostTable, Method } from "../src/plugins/host-table.ts";
import { openLibrary } from "../src/plugins/native-library.ts";
import { workerHost } from "../src/plugins/worker-host.ts";
import { WorkerPool } from "../src/plugins/worker-pool.ts";
import { decodeStepResult, encodeExecutorInput } from "../src/protocol/index.ts";
import { benchPlugin, stdioHost, wasmModule } from "./lib/native.ts";
import { PostMessageCaller } from "./lib/post-message-call.ts";
import type { Benchmark, Section } from "./lib/report.ts";
import { inputFor } from "./lib/samples.ts";
import { type Contender, fmt, interleaved, ratios, spread, summarize, times } from "./lib/stats.ts";

const METHOD = Method.executeStep;

function checkResult(bytes: Uint8Array | null): void {
  if (bytes === null) throw new Error("the plugin returned no result");
  if (decodeStepResult(bytes).exit_code !== 0) throw new Error("the plugin did not answer exit 0");
}

/** Reads length-delimited answers of the `--serve` stdio host from its stdout. */
class FrameReader {
  private buffered = new Uint8Array(0);
  constructor(private readonly reader: { read(): Promise<{ value?: Uint8Array; done: boolean }> }) {}

  async next(): Promise<Uint8Array> {
    for (;;) {
      if (this.buffered.length >= 8) {
        const view = new DataView(this.buffered.buffer, this.buffered.byteOffset);
        const length = view.getUint32(4, true);
        if (this.buffered.length >= 8 + length) {
          const frame = this.buffered.slice(8, 8 + length);
          this.buffered = this.buffered.subarray(8 + length);
          return frame;
        }
      }
      const { value, done } = await this.reader.read();
      if (done || value === undefined) throw new Error("the plugin process closed its output");
      const joined = new Uint8Array(this.buffered.length + value.length);
      joined.set(this.buffered);
      joined.set(value, this.buffered.length);
      this.buffered = joined;
    }
  }
}

async function wasmCaller(path: string): Promise<(input: Uint8Array) => Uint8Array | null> {
  let memory!: WebAssembly.Memory;
  let output: Uint8Array | null = null;
  const enosys = () => 52;
  const { instance } = await WebAssembly.instantiate(await Bun.file(path).arrayBuffer(), {
    env: {
      set_result: (pointer: number, length: number) => {
        output = new Uint8Array(memory.buffer, pointer, length).slice();
      },
    },
    wasi_snapshot_preview1: { fd_close: enosys, fd_seek: enosys, fd_write: enosys },
  });
  const exports = instance.exports as {
    memory: WebAssembly.Memory;
    _initialize(): void;
    bench_input(length: number): number;
    bench_call(length: number): number;
  };
  memory = exports.memory;
  exports._initialize();
  return (input) => {
    output = null;
    const pointer = exports.bench_input(input.length);
    new Uint8Array(memory.buffer, pointer, input.length).set(input);
    exports.bench_call(input.length);
    return output;
  };
}

export default {
  name: "plugin-call",
  title: "1. Plugin call round trip",
  async run({ small }): Promise<Section> {
    const library = benchPlugin("noop-step");
    const exe = stdioHost();
    const wasm = wasmModule();
    const input = encodeExecutorInput(inputFor("bench-noop"));
    const scratch = mkdtempSync(join(tmpdir(), "hm-bench-call-"));
    const context: CallContext = {
      pluginName: "hm-bench-noop",
      runId: null,
      stepId: null,
      configDir: null,
      archives: {},
      cancelSlot: 0,
      kvPath: join(scratch, "kv.sqlite"),
    };
    const { cancelSlot: _, ...poolContext } = context;

    const pool = new WorkerPool(1);
    const posted = new PostMessageCaller(library, context);
    const table = new HostTable();
    const native = openLibrary(library);
    const cancelFlags = new Int32Array(new SharedArrayBuffer(4));
    const server = Bun.spawn([exe, "--serve"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const frames = new FrameReader(server.stdout.getReader());
    const frame = new Uint8Array(4 + input.length);
    new DataView(frame.buffer).setUint32(0, input.length, true);
    frame.set(input, 4);
    const callWasm = "path" in wasm ? await wasmCaller(wasm.path) : null;

    const scale = small ? 0.02 : 1;
    const n = (count: number) => Math.max(2, Math.round(count * scale));
    const contenders: Contender[] = [
      {
        name: "hm: worker pool (shared-memory channel)",
        perBatch: n(2_000),
        op: async () => checkResult((await pool.call(library, METHOD, input, poolContext).result).output),
      },
      {
        name: "worker via postMessage (hm before the channel)",
        perBatch: n(2_000),
        op: async () => checkResult((await posted.call(METHOD, input)).output),
      },
      {
        name: "direct call on the main thread",
        perBatch: n(20_000),
        op: () => {
          const host = workerHost(1, context, cancelFlags, () => {});
          checkResult(table.invoke(native, METHOD, input, host.fns).output);
          host.release();
        },
      },
      ...(callWasm === null
        ? []
        : [
            {
              name: "WebAssembly module (main thread)",
              perBatch: n(20_000),
              op: () => checkResult(callWasm(input)),
            },
          ]),
      {
        name: "exec per call",
        perBatch: n(40),
        op: async () => {
          const proc = Bun.spawn([exe], { stdin: input, stdout: "pipe", stderr: "inherit" });
          const [output, code] = await Promise.all([new Response(proc.stdout).bytes(), proc.exited]);
          if (code !== 0) throw new Error(`the exec plugin exited ${code}`);
          checkResult(output);
        },
      },
      {
        name: "plugin process over a pipe",
        perBatch: n(2_000),
        op: async () => {
          server.stdin.write(frame);
          server.stdin.flush();
          checkResult(await frames.next());
        },
      },
    ];

    try {
      const samples = await interleaved(contenders, small ? 2 : 25);
      const hm = samples[0] as number[];
      const hmMedian = summarize(hm).median;
      const exec = samples[contenders.findIndex((c) => c.name === "exec per call")] as number[];
      const execRatio = ratios(exec, hm).median;
      const rows = contenders.map((c, i) => {
        const s = samples[i] as number[];
        const r = ratios(s, hm);
        return [c.name, spread(summarize(s)), i === 0 ? "1×" : times(r)];
      });
      return {
        tables: [
          {
            caption: `µs per call, median (min–max) of ${small ? 2 : 25} interleaved batches; input ${input.length} B.`,
            columns: ["design", "µs per call", "÷ hm (per-batch ratio)"],
            rows,
          },
        ],
        targets: [
          {
            target: "plugin call dispatch ≤ 15 µs median",
            measured: `${fmt(hmMedian)} µs`,
            met: hmMedian <= 15,
          },
          {
            target: "plugin call ≥ 60× faster than exec-per-call",
            measured: `${fmt(execRatio)}×`,
            met: execRatio >= 60,
          },
        ],
        notes: [
          "Every contender runs bench/plugins/noop-step.c through the same SDK (decode ExecutorInput, encode StepResult), and the host decodes the StepResult. " +
            "The worker pool, postMessage and direct rows use hm's own HostTable and worker host functions. " +
            "The WebAssembly module is wasm32-wasi built with clang/wasi-libc; the host copies the input into its memory and copies the result out (Extism's model); it runs on the main thread, so it is comparable to the direct call, not to a dispatched one. " +
            "exec per call spawns `build/bench/stdio-host` with the input on stdin; the pipe server is the same executable with `--serve`, framed by a length prefix.",
          "Why the channel wins: on this 2-vCPU VM, waking a thread that sleeps on the other core costs 50–70 µs (the idle vCPU must be woken), and a postMessage round trip pays it on most calls. hm's channel has the worker poll for up to 50 µs after each reply and the pool for up to 20 µs after sending, before either sleeps in Atomics.waitAsync, so back-to-back calls meet a thread that is still awake; the windows shrink to a few µs when polls keep missing (sparse calls, or both threads on one core, where polling only delays the other side). A call that outlasts the polls costs one wake-up, as a message does.",
          hmMedian <= 15
            ? "Target met: dispatch stays under 15 µs as long as calls come back to back; the spread's upper end is the calls where a thread had gone to sleep (or shared its core with another job)."
            : "Target missed in this run: batches run at 5–8 µs while the main thread and the worker sit on different cores and at 15–25 µs while they share one (or another job takes one), and on this shared machine the median lands between; across runs it has been 11–19 µs. The ≥ 60× ratio to exec per call follows the same median. What would close it: keeping each pool worker on a core of its own (Bun has no affinity API; a native helper calling pthread_setaffinity_np from the worker could), or longer poll windows, which cost CPU on an idle worker.",
        ],
      };
    } finally {
      await pool.close();
      posted.close();
      server.stdin.end();
      await server.exited;
      rmSync(scratch, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
