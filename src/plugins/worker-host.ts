/**
 * Host functions as a worker serves them for one call: KV and config reads
 * answered here (synchronously, on the calling thread), everything that
 * reaches the user (logs, events, output) posted to the main thread in order.
 *
 * Step log lines cross in batches (one message for up to STEP_LOG_BATCH lines
 * instead of one per line: a message costs ~2 µs on each side). A batch goes
 * out when it is full, before any other message (order is kept), whenever the
 * plugin polls keep_going (so a quiet step's lines wait at most one poll), when
 * a line comes STEP_LOG_MAX_DELAY_MS after the batch's first, and at the end
 * of the call.
 */
import { ArchiveReader } from "./archive-reader.ts";
import type { CallContext, WorkerMessage } from "./call-context.ts";
import { readConfigFile } from "./config-files.ts";
import type { HostFunctions } from "./host-table.ts";
import { type KvScope, KvStore } from "./kv-store.ts";

const SCOPES: readonly KvScope[] = ["plugin", "build", "step"];
const STEP_LOG_BATCH = 512;
const STEP_LOG_MAX_DELAY_MS = 20;

/** Step log lines in one message: line i is `bytes[ends[i - 1] ?? 0 .. ends[i]]` on stream `streams[i]`. */
export interface StepLogBatch {
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

export function workerHost(
  id: number,
  context: CallContext,
  cancelFlags: Int32Array,
  post: (message: HostMessage) => void,
): { fns: HostFunctions; release: () => void } {
  const archives = new ArchiveReader(context.archives);
  let lines: Uint8Array[] = [];
  let streams: number[] = [];
  let firstLineAt = 0;
  const flushLines = () => {
    if (lines.length === 0) return;
    const ends = new Uint32Array(lines.length);
    let total = 0;
    for (const [i, line] of lines.entries()) ends[i] = total += line.length;
    const bytes = new Uint8Array(total);
    for (const [i, line] of lines.entries()) bytes.set(line, i === 0 ? 0 : (ends[i - 1] as number));
    post({ type: "step_logs", id, streams: Uint8Array.from(streams), ends, bytes });
    lines = [];
    streams = [];
  };
  const send = (message: WorkerMessage) => {
    flushLines();
    post(message);
  };
  /** The KV owner of a scope, or null when the scope does not exist for this call. */
  const owner = (scope: number): [KvScope, string] | null => {
    const name = SCOPES[scope];
    if (name === "plugin") return [name, context.pluginName];
    if (name === "build" && context.runId !== null) return [name, context.runId];
    if (name === "step" && context.stepId !== null) return [name, context.stepId];
    return null;
  };
  const fns: HostFunctions = {
    log: (level, message) => send({ type: "log", id, level, message: utf8.decode(message) }),
    kvGet: (scope, key) => {
      const o = owner(scope);
      return o === null ? null : kvStore(context.kvPath).get(o[0], o[1], key);
    },
    kvSet: (scope, key, value) => {
      const o = owner(scope);
      if (o === null) throw new Error(`no ${SCOPES[scope] ?? `scope ${scope}`} KV scope in this call`);
      kvStore(context.kvPath).set(o[0], o[1], key, value);
    },
    emitEvent: (bytes) => send({ type: "event", id, bytes }),
    emitStepLog: (stream, line) => {
      const now = performance.now();
      if (lines.length === 0) firstLineAt = now;
      lines.push(line);
      streams.push(stream);
      if (lines.length >= STEP_LOG_BATCH || now - firstLineAt >= STEP_LOG_MAX_DELAY_MS) flushLines();
    },
    keepGoing: () => {
      flushLines();
      return Atomics.load(cancelFlags, context.cancelSlot) === 0;
    },
    writeStdout: (bytes) => send({ type: "write", id, fd: 1, bytes }),
    writeStderr: (bytes) => send({ type: "write", id, fd: 2, bytes }),
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
