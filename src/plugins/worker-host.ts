/**
 * Host functions as a worker serves them for one call: KV and config reads
 * answered here (synchronously, on the calling thread), everything that
 * reaches the user (logs, events, output) posted to the main thread in order.
 */
import { ArchiveReader } from "./archive-reader.ts";
import type { CallContext, WorkerMessage } from "./call-context.ts";
import { readConfigFile } from "./config-files.ts";
import type { HostFunctions } from "./host-table.ts";
import { type KvScope, KvStore } from "./kv-store.ts";

const SCOPES: readonly KvScope[] = ["plugin", "build", "step"];
const utf8 = new TextDecoder("utf-8", { fatal: false });

let kv: KvStore | undefined;
function kvStore(path: string): KvStore {
  if (kv === undefined || kv.path !== path) {
    kv?.close();
    kv = new KvStore(path);
  }
  return kv;
}

export function workerHost(
  id: number,
  context: CallContext,
  cancelFlags: Int32Array,
  post: (message: WorkerMessage) => void,
): { fns: HostFunctions; release: () => void } {
  const archives = new ArchiveReader(context.archives);
  /** The KV owner of a scope, or null when the scope does not exist for this call. */
  const owner = (scope: number): [KvScope, string] | null => {
    const name = SCOPES[scope];
    if (name === "plugin") return [name, context.pluginName];
    if (name === "build" && context.runId !== null) return [name, context.runId];
    if (name === "step" && context.stepId !== null) return [name, context.stepId];
    return null;
  };
  const fns: HostFunctions = {
    log: (level, message) => post({ type: "log", id, level, message: utf8.decode(message) }),
    kvGet: (scope, key) => {
      const o = owner(scope);
      return o === null ? null : kvStore(context.kvPath).get(o[0], o[1], key);
    },
    kvSet: (scope, key, value) => {
      const o = owner(scope);
      if (o === null) throw new Error(`no ${SCOPES[scope] ?? `scope ${scope}`} KV scope in this call`);
      kvStore(context.kvPath).set(o[0], o[1], key, value);
    },
    emitEvent: (bytes) => post({ type: "event", id, bytes }),
    emitStepLog: (stream, line) => post({ type: "step_log", id, stream, line }),
    keepGoing: () => Atomics.load(cancelFlags, context.cancelSlot) === 0,
    writeStdout: (bytes) => post({ type: "write", id, fd: 1, bytes }),
    writeStderr: (bytes) => post({ type: "write", id, fd: 2, bytes }),
    archiveRead: (archiveId, offset, max) => archives.read(archiveId, offset, max),
    archiveTotalSize: (archiveId) => archives.totalSize(archiveId),
    readConfig: (path) => readConfigFile(context.configDir, utf8.decode(path)),
  };
  return { fns, release: () => archives.close() };
}
