/**
 * The `hm_host_api` table handed to plugins: `{u32 abi_version, u32 size}`
 * followed by 14 function pointers backed by non-threadsafe JSCallbacks
 * (docs/plugin-abi.md). One table per JS thread, created once and kept for the
 * thread's life (a JSCallback must outlive every call that may use it).
 *
 * Ownership at the boundary:
 * - `input` passed to hm_plugin_call: owned by us, borrowed by the plugin until the call returns.
 * - bytes from set_result, kv_set, emit_event: owned by the plugin; copied here before the callback returns.
 * - the key of kv_get: lent to HostFunctions.kvGet as a view (its read cache copies what it keeps).
 * - a record from log, a line from emit_step_log: lent to HostFunctions.log / emitStepLog as a
 *   `PluginBytes` (address and length, no view made: a view costs more than the whole call
 *   should), which the host function copies before it returns; lines from emit_step_logs: lent
 *   as a view, copied the same way.
 * - bytes we hand out (kv_get, fs_read_config): owned by us, kept alive in `Invocation.retained`
 *   until hm_plugin_call returns.
 * - archive_read writes into the plugin's own buffer.
 * - the counter kv_write_count points the plugin at: owned by this thread's KV module (shared
 *   memory that lives as long as the thread); the plugin only reads it, until the call returns.
 * Every callback body is guarded: an exception is recorded on the call and the
 * plugin gets 0 ("host failed"), never a JS exception unwinding through C.
 */
import { FFIType, type FFITypeOrString, JSCallback, type Pointer, ptr, toArrayBuffer } from "bun:ffi";
import type { NativeLibrary } from "./native-library.ts";

export const HM_OK = 1;
const HOST_ABI_VERSION = 1;
/** 12 in ABI 1 (hm 0.1); emit_step_logs and kv_write_count appended in hm 0.2. */
const SLOT_COUNT = 14;
/** sizeof(hm_host_api): two u32 then SLOT_COUNT pointers. */
const HOST_TABLE_SIZE = 8 + SLOT_COUNT * 8;

export const Method = { manifest: 0, executeStep: 1, onHookEvent: 2, runSubcommand: 3 } as const;
export type MethodName = keyof typeof Method;

/**
 * Bytes in the plugin's memory, lent to a host function until it returns (the object itself is
 * reused by the next call: keep neither it nor the view).
 */
export interface PluginBytes {
  readonly address: number;
  readonly length: number;
  /** A view of the bytes (a `toArrayBuffer`: a few hundred ns); valid until the host function returns. */
  view(): Uint8Array;
}

/** What the host does for one plugin call; each function runs on the calling thread. */
export interface HostFunctions {
  /** `message` is the plugin's memory, valid only until this returns: copy what you keep. */
  log(level: number, message: PluginBytes): void;
  /** `key` is the plugin's memory, valid only until this returns: copy what you keep. */
  kvGet(scope: number, key: Uint8Array): Uint8Array | null;
  kvSet(scope: number, key: Uint8Array, value: Uint8Array): void;
  emitEvent(event: Uint8Array): void;
  /** `line` is the plugin's memory, valid only until this returns: copy what you keep. */
  emitStepLog(stream: number, line: PluginBytes): void;
  /** Lines each ended by `\n` (the last may lack it), as `emitStepLog` takes them one by one; same lifetime. */
  emitStepLogs(stream: number, lines: Uint8Array): void;
  /** The address of the process's KV write counter (a u32 hm bumps after each KV write), or null. */
  kvWriteCounter(): number | null;
  keepGoing(): boolean;
  writeStdout(bytes: Uint8Array): void;
  writeStderr(bytes: Uint8Array): void;
  /** Up to `max` bytes of the archive from `offset`; empty past the end or for an unknown id. */
  archiveRead(id: Uint8Array, offset: number, max: number): Uint8Array;
  archiveTotalSize(id: Uint8Array): number;
  readConfig(relativePath: Uint8Array): Uint8Array | null;
}

export interface CallOutcome {
  /** hm_plugin_call's return: HM_OK, or negative with a PluginError as output. */
  status: number;
  /** The bytes given to set_result (the last call wins), or null if it was never called. */
  output: Uint8Array | null;
  /** Host functions that failed during the call, e.g. "kv_set: database is locked". */
  hostErrors: string[];
}

interface Invocation {
  fns: HostFunctions;
  /** A set: kv_get's cache hands the same bytes out again and again. */
  retained: Set<Uint8Array>;
  output: Uint8Array | null;
  hostErrors: string[];
}

const EMPTY = new Uint8Array(0);

function copyIn(pointer: number | null, length: number | bigint): Uint8Array {
  const n = Number(length);
  if (n === 0 || pointer === null || pointer === 0) return EMPTY;
  return new Uint8Array(toArrayBuffer(pointer as Pointer, 0, n)).slice();
}

/** The plugin's bytes without a copy: valid only until the callback returns. */
function viewIn(pointer: number | null, length: number | bigint): Uint8Array {
  const n = Number(length);
  if (n === 0 || pointer === null || pointer === 0) return EMPTY;
  return new Uint8Array(toArrayBuffer(pointer as Pointer, 0, n));
}

/** One slot's `PluginBytes`, pointed at the current call's bytes for the duration of the callback. */
class BorrowedBytes implements PluginBytes {
  address = 0;
  length = 0;

  lend(address: number | null, length: number | bigint): this {
    this.address = address ?? 0;
    this.length = this.address === 0 ? 0 : Number(length);
    return this;
  }

  view(): Uint8Array {
    return viewIn(this.address, this.length);
  }
}

export class HostTable {
  /** Element 0 holds the two u32 header fields; slot i is element 1 + i. */
  private readonly table = new BigUint64Array(1 + SLOT_COUNT);
  private readonly callHandle = new Uint8Array(8);
  private readonly callbacks: JSCallback[] = [];
  private current: Invocation | null = null;
  readonly pointer: Pointer;
  private readonly callPointer: Pointer;

  constructor() {
    new DataView(this.table.buffer).setUint32(0, HOST_ABI_VERSION, true);
    new DataView(this.table.buffer).setUint32(4, HOST_TABLE_SIZE, true);
    this.pointer = ptr(this.table);
    this.callPointer = ptr(this.callHandle);
    const p = FFIType.ptr;
    const size = FFIType.u64_fast; // size_t / uint64_t: a number (a bigint only past 2^53)
    // Slot order is the ABI: never reorder, only append.
    const record = new BorrowedBytes();
    this.slot("log", [p, "u32", p, size], (fns, level: number, m: number, n: number) => {
      fns.log(level, record.lend(m, n));
    });
    this.slot("kv_get", [p, "u32", p, size, p], (fns, scope: number, k: number, n: number, out: number) => {
      this.writeBytesOut(out, fns.kvGet(scope, viewIn(k, n)));
    });
    this.slot(
      "kv_set",
      [p, "u32", p, size, p, size],
      (fns, scope: number, k: number, kn: number, v: number, vn: number) => {
        fns.kvSet(scope, copyIn(k, kn), copyIn(v, vn));
      },
    );
    this.slot("emit_event", [p, p, size], (fns, e: number, n: number) => fns.emitEvent(copyIn(e, n)));
    const line = new BorrowedBytes();
    this.slot("emit_step_log", [p, "u32", p, size], (fns, stream: number, l: number, n: number) => {
      fns.emitStepLog(stream, line.lend(l, n));
    });
    this.slot("keep_going", [p], (fns) => (fns.keepGoing() ? HM_OK : 0));
    this.slot("write_stdout", [p, p, size], (fns, b: number, n: number) => fns.writeStdout(copyIn(b, n)));
    this.slot("write_stderr", [p, p, size], (fns, b: number, n: number) => fns.writeStderr(copyIn(b, n)));
    this.slot(
      "archive_read",
      [p, p, size, p, size, p],
      (fns, id: number, offset: number, buf: number, cap: number, outLen: number) => {
        const data = Number(cap) > 0 ? fns.archiveRead(copyIn(id, 16), Number(offset), Number(cap)) : EMPTY;
        if (data.length > 0) new Uint8Array(toArrayBuffer(buf as Pointer, 0, data.length)).set(data);
        new BigUint64Array(toArrayBuffer(outLen as Pointer, 0, 8))[0] = BigInt(data.length);
      },
    );
    this.slot("archive_total_size", [p, p, p], (fns, id: number, out: number) => {
      new BigUint64Array(toArrayBuffer(out as Pointer, 0, 8))[0] = BigInt(
        fns.archiveTotalSize(copyIn(id, 16)),
      );
    });
    this.slot("fs_read_config", [p, p, size, p], (fns, path: number, n: number, out: number) => {
      this.writeBytesOut(out, fns.readConfig(copyIn(path, n)));
    });
    this.slot("set_result", [p, p, size], (_fns, b: number, n: number) => {
      if (this.current) this.current.output = copyIn(b, n);
    });
    // hm 0.2
    this.slot("emit_step_logs", [p, "u32", p, size], (fns, stream: number, l: number, n: number) => {
      fns.emitStepLogs(stream, viewIn(l, n));
    });
    this.slot("kv_write_count", [p, p], (fns, out: number) => {
      const counter = fns.kvWriteCounter();
      if (counter === null) return 0;
      new BigUint64Array(toArrayBuffer(out as Pointer, 0, 8))[0] = BigInt(counter);
      return HM_OK;
    });
  }

  /** Calls `method` of `library` synchronously on this thread with `fns` serving its host calls. */
  invoke(library: NativeLibrary, method: number, input: Uint8Array, fns: HostFunctions): CallOutcome {
    if (this.current !== null) throw new Error("HostTable.invoke is not re-entrant");
    const invocation: Invocation = { fns, retained: new Set(), output: null, hostErrors: [] };
    this.current = invocation;
    try {
      const status = library.call(
        this.pointer,
        this.callPointer,
        method,
        input.length > 0 ? input : null,
        input.length,
      );
      return { status, output: invocation.output, hostErrors: invocation.hostErrors };
    } finally {
      this.current = null; // releases `retained`: the plugin's borrow ended with the call
    }
  }

  private slot(
    name: string,
    args: FFITypeOrString[],
    // biome-ignore lint/suspicious/noExplicitAny: FFI arguments arrive untyped; each slot declares its own.
    body: (fns: HostFunctions, ...args: any[]) => unknown,
  ): void {
    const index = this.callbacks.length;
    const callback = new JSCallback(
      // Fixed arity (no slot takes more than five arguments after `call`): a rest parameter
      // would allocate an array on every host call.
      (call: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => {
        const invocation = this.current;
        // A call that already returned, or a pointer that is not ours: the host is gone for it.
        if (invocation === null || call !== (this.callPointer as unknown as number)) return 0;
        try {
          const result = body(invocation.fns, a, b, c, d, e);
          return typeof result === "number" ? result : HM_OK;
        } catch (error) {
          invocation.hostErrors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
          return 0;
        }
      },
      { args, returns: "i32" },
    );
    this.callbacks.push(callback);
    this.table[1 + index] = BigInt(callback.ptr as unknown as number);
  }

  /** Fills an `hm_bytes` out-parameter; NULL means absent. */
  private writeBytesOut(out: number, bytes: Uint8Array | null): void {
    const view = new BigUint64Array(toArrayBuffer(out as Pointer, 0, 16));
    if (bytes === null) {
      view[0] = 0n;
      view[1] = 0n;
      return;
    }
    // A zero-length value still needs a non-NULL pointer ("present, empty").
    const owned = bytes.length > 0 ? bytes : new Uint8Array(1);
    this.current?.retained.add(owned);
    view[0] = BigInt(ptr(owned) as unknown as number);
    view[1] = BigInt(bytes.length);
  }
}
