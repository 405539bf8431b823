/**
 * Host functions as a worker serves them for one call: KV and config reads
 * answered here (synchronously, on the calling thread), everything that
 * reaches the user (logs, events, output) posted to the main thread in order.
 *
 * Log records and step log lines cross in batches (one message for up to
 * TAIL_LINES entries or TAIL_BYTES bytes instead of one per entry: a message
 * costs ~2 µs on each side, a host call should cost ~100 ns). On the calling
 * thread a record or a line is only copied into the batch (memcpy from the
 * plugin's memory, no JS view of it); decoding and dispatch happen on the main
 * thread, a batch at a time. A batch goes out when it is full, before any other
 * message (order is kept), whenever the plugin polls keep_going, and at the
 * end of the call. The batch is kept in shared memory (call-output.ts), and
 * the main thread takes entries that have waited there a drain interval (a
 * record shows while its plugin blocks without polling, without a clock read
 * per host call here) and those of a call it abandons; a call without a
 * flow-control slot, whose tail the main thread cannot find, flushes when an
 * entry comes STEP_LOG_MAX_DELAY_MS after the batch's first instead. Every
 * post goes through the call's flow control, which blocks a plugin that
 * outruns the main thread.
 */
import { type KvScope, kvScopeFromWire } from "../protocol/host.ts";
import { ArchiveReader } from "./archive-reader.ts";
import type { CallContext, WorkerMessage } from "./call-context.ts";
import { newOutputBuffers, RECORD, TAIL_LINES, WorkerOutput } from "./call-output.ts";
import { readConfigFile } from "./config-files.ts";
import type { HostFunctions, PluginBytes } from "./host-table.ts";
import { KvReadCache } from "./kv-read-cache.ts";
import { KvStore, kvWriteCounterAddress } from "./kv-store.ts";

const STEP_LOG_MAX_DELAY_MS = 20;

/** Records and step log lines in one message: entry i is `bytes[ends[i - 1] ?? 0 .. ends[i]]` of kind `streams[i]` (call-output.ts). */
interface StepLogBatch {
  type: "step_logs";
  id: number;
  streams: Uint8Array;
  ends: Uint32Array;
  bytes: Uint8Array;
}

/** What a worker posts to the pool while a call runs. */
export type HostMessage = WorkerMessage | StepLogBatch;
const utf8 = new TextDecoder("utf-8", { fatal: false });

let kv: KvStore | undefined;
function kvStore(path: string): KvStore {
  if (kv === undefined || kv.path !== path) {
    kv?.close();
    kv = new KvStore(path); // a race to create the file is retried inside KvStore
  }
  return kv;
}

/** For callers without a pool-provided share (benchmarks): a private tail, no flow control. */
let ownOutput: WorkerOutput | undefined;
function privateOutput(): WorkerOutput {
  ownOutput ??= new WorkerOutput(newOutputBuffers());
  return ownOutput;
}

export function workerHost(
  id: number,
  context: CallContext,
  cancelFlags: Int32Array,
  post: (message: HostMessage) => void,
  output: WorkerOutput = privateOutput(),
): { fns: HostFunctions; release: () => void } {
  const archives = new ArchiveReader(context.archives);
  const reads = new KvReadCache();
  output.begin(context.outputSlot);
  let firstLineAt = 0;
  const flushLines = () => {
    const lines = output.take();
    if (lines === null) return;
    output.posting(0); // counted as they entered the tail
    post({ type: "step_logs", id, ...lines });
  };
  /** An entry longer than a whole batch travels alone (copied: `entry` is the plugin's memory). */
  const postAlone = (kind: number, entry: Uint8Array) => {
    output.posting(entry.length);
    post({
      type: "step_logs",
      id,
      streams: Uint8Array.of(kind),
      ends: Uint32Array.of(entry.length),
      bytes: entry.slice(),
    });
  };
  /** A record or a step line into the batch, behind what is already there. */
  const appendEntry = (kind: number, entry: PluginBytes) => {
    if (!output.fits(entry.length)) {
      flushLines();
      if (!output.fits(entry.length)) {
        postAlone(kind, entry.view());
        return;
      }
    }
    // Entries that then wait are the main thread's to take (call-output.ts), without a clock read here.
    let due = false;
    if (!output.drainedByMain) {
      const now = performance.now();
      if (output.lineCount === 0) firstLineAt = now;
      due = now - firstLineAt >= STEP_LOG_MAX_DELAY_MS;
    }
    output.append(kind, entry);
    if (due || output.lineCount >= TAIL_LINES) flushLines();
  };
  /** Posts a message that is not step lines, after the lines before it; `size` is what flow control counts. */
  const send = (message: WorkerMessage, size: number) => {
    flushLines();
    output.posting(size);
    post(message);
  };
  /** The KV owner of a scope, or null when the scope does not exist for this call. */
  const owner = (scope: number): [KvScope, string] | null => {
    const name = kvScopeFromWire(scope);
    if (name === "plugin") return [name, context.pluginName];
    if (name === "build" && context.runId !== null) return [name, context.runId];
    if (name === "step" && context.stepId !== null) return [name, context.stepId];
    return null;
  };
  const fns: HostFunctions = {
    log: (level, message) => appendEntry(RECORD | Math.min(level, 127), message),
    kvGet: (scope, key) => {
      const o = owner(scope);
      return o === null ? null : reads.get(o[0], key, () => kvStore(context.kvPath).get(o[0], o[1], key));
    },
    kvSet: (scope, key, value) => {
      const o = owner(scope);
      if (o === null)
        throw new Error(`no ${kvScopeFromWire(scope) ?? `scope ${scope}`} KV scope in this call`);
      kvStore(context.kvPath).set(o[0], o[1], key, value);
    },
    emitEvent: (bytes) => send({ type: "event", id, bytes }, bytes.length),
    emitStepLog: (stream, line) => appendEntry(stream === 0 ? 0 : 1, line),
    emitStepLogs: (wireStream, chunk) => {
      const stream = wireStream === 0 ? 0 : 1; // any other kind byte would read as a log record
      const now = performance.now();
      for (let pos = 0; pos < chunk.length; ) {
        if (output.lineCount === 0) firstLineAt = now;
        const next = output.appendLines(stream, chunk, pos);
        if (next === pos) {
          if (output.lineCount > 0) {
            flushLines(); // the tail is full: the next line goes into an empty one
            continue;
          }
          const newline = chunk.indexOf(10, pos);
          const stop = newline < 0 ? chunk.length : newline + 1;
          postAlone(stream, chunk.subarray(pos, stop));
          pos = stop;
          continue;
        }
        pos = next;
        if (output.lineCount >= TAIL_LINES) flushLines();
      }
      if (output.lineCount > 0 && now - firstLineAt >= STEP_LOG_MAX_DELAY_MS) flushLines();
    },
    keepGoing: () => {
      flushLines();
      return Atomics.load(cancelFlags, context.cancelSlot) === 0;
    },
    writeStdout: (bytes) => send({ type: "write", id, fd: 1, bytes }, bytes.length),
    writeStderr: (bytes) => send({ type: "write", id, fd: 2, bytes }, bytes.length),
    kvWriteCounter: kvWriteCounterAddress,
    archiveRead: (archiveId, offset, max) => archives.read(archiveId, offset, max),
    archiveTotalSize: (archiveId) => archives.totalSize(archiveId),
    readConfig: (path) => readConfigFile(context.configDir, utf8.decode(path)),
  };
  return {
    fns,
    release: () => {
      flushLines();
      archives.close();
    },
  };
}
