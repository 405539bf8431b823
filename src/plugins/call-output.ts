/**
 * What a plugin call produces (log records, step log lines, events, raw output) on its way from
 * the worker to the main thread, bounded, in order and never stranded:
 *
 * - Flow control. The worker posts what the plugin emits as messages; a plugin that emits faster
 *   than the main thread handles them used to grow the message queue without bound (1 GB of
 *   hm_log grew hm to ~1 GB). Each call has a slot of shared counters: bytes produced (the
 *   worker) and bytes handled (the main thread, as each batch or message reaches its handlers).
 *   A worker more than OUTPUT_WINDOW ahead blocks inside the host function (Atomics.wait, on the
 *   worker thread only) until the main thread catches up, so the plugin slows to hm's pace instead.
 *
 * - The tail. Log records and step lines wait in a batch before they are posted (one message per
 *   batch: worker-host.ts), in the order the plugin made them: an entry's kind byte is its stream
 *   (0 stdout, 1 stderr) for a step line, or RECORD | level for a log record. The batch lives in a
 *   buffer shared with the main thread, which takes it itself when the worker does not post it:
 *   when a call is abandoned (a plugin hung in native code, whose worker thread will never post
 *   again), and when entries have sat in it for a drain interval (a plugin that logged, then
 *   blocked without polling: its record must still show while it blocks). The tail counts the
 *   messages the call posted before its entries, so the main thread hands entries it took to
 *   their handlers after those messages, never before.
 *
 * Both live in shared memory because the worker's thread is inside native code whenever it
 * matters: it cannot answer a message.
 */

import { ptr } from "bun:ffi";
import type { PluginBytes } from "./host-table.ts";
import { copyFromPlugin } from "./native-copy.ts";

/** Int32 fields of one call's slot in the shared slot table. */
const Field = { handled: 1, waiting: 2, tail: 3, released: 4 } as const;
const FIELDS = 8;
/** Calls in flight at once with flow control; past that, calls run without it (as before). */
const SLOTS = 1024;
/** Bytes a call may have posted but not yet handled before its worker waits. */
const OUTPUT_WINDOW = 4 << 20;
/** The main thread publishes what it handled every this many bytes (not per line: it is a hot path). */
const HANDLED_STEP = 64 << 10;

/** Step lines in one tail buffer at most, and their bytes. */
export const TAIL_LINES = 512;
const TAIL_BYTES = 256 << 10;
// Int32 lock, count, byteLength, messages posted by the call so far; Float64 Date.now() of the first entry.
const TAIL_HEADER = 32;
const ENDS_AT = TAIL_HEADER;
const STREAMS_AT = ENDS_AT + 4 * TAIL_LINES;
const BYTES_AT = STREAMS_AT + TAIL_LINES;
const Lock = { free: 0, worker: 1, main: 2 } as const;

/** The kind byte of a log record in the tail: RECORD | level (levels past 126 become 127, unknown). */
export const RECORD = 0x80;

/** Entries taken out of a tail: entry i is `bytes[ends[i - 1] ?? 0 .. ends[i]]` of kind `streams[i]`. */
export interface TailLines {
  streams: Uint8Array;
  ends: Uint32Array;
  bytes: Uint8Array;
}

/** What a worker receives (in its init message) to take part: the slot table and its own tail. */
export interface OutputBuffers {
  readonly slots: SharedArrayBuffer;
  readonly tail: SharedArrayBuffer;
  /** The main thread's handle on `tail`, written into the slot of each call the worker runs. */
  readonly tailId: number;
}

// ---- the main thread's side ----

let slotTable: Int32Array | undefined;
const freeSlots: number[] = [];
const tails = new Map<number, WeakRef<SharedArrayBuffer>>();
let nextTailId = 1;

function slots(): Int32Array {
  if (slotTable === undefined) {
    slotTable = new Int32Array(new SharedArrayBuffer(4 * FIELDS * SLOTS));
    for (let i = SLOTS - 1; i >= 0; i--) freeSlots.push(i);
  }
  return slotTable;
}

/** A new worker's share: the process's slot table and a tail of its own. */
export function newOutputBuffers(): OutputBuffers {
  const tail = new SharedArrayBuffer(BYTES_AT + TAIL_BYTES);
  const tailId = nextTailId++;
  // Weak: a worker the pool dropped takes its tail with it.
  tails.set(tailId, new WeakRef(tail));
  for (const [id, ref] of tails) if (ref.deref() === undefined) tails.delete(id);
  return { slots: slots().buffer as SharedArrayBuffer, tail, tailId };
}

/** The main thread's end of one call's output; `slot` travels to the worker in the call's context. */
export class CallOutput {
  private handled = 0;
  private published = 0;
  private released = false;

  private constructor(readonly slot: number) {}

  /** A slot for a new call, or null when all are taken (the call then runs without flow control). */
  static claim(): CallOutput | null {
    const table = slots();
    const slot = freeSlots.pop();
    if (slot === undefined) return null;
    table.fill(0, slot * FIELDS, (slot + 1) * FIELDS);
    return new CallOutput(slot);
  }

  /** `bytes` of the call's output reached their handler. */
  handledBytes(bytes: number): void {
    this.handled += bytes;
    if (this.handled - this.published < HANDLED_STEP) return;
    this.published = this.handled;
    const table = slots();
    Atomics.store(table, this.slot * FIELDS + Field.handled, this.handled | 0);
    if (Atomics.load(table, this.slot * FIELDS + Field.waiting) !== 0)
      Atomics.notify(table, this.slot * FIELDS + Field.handled);
  }

  /** The call ended: its worker no longer touches the slot. */
  free(): void {
    if (this.released) return;
    this.released = true;
    freeSlots.push(this.slot);
  }

  /**
   * The call is being abandoned: its worker must never wait for us again, and the step lines it
   * emitted but had not posted are returned. The slot stays taken (the plugin may still run and
   * touch it); abandoned calls are rare.
   */
  abandon(): TailLines | null {
    this.released = true;
    const table = slots();
    const base = this.slot * FIELDS;
    Atomics.store(table, base + Field.released, 1);
    Atomics.notify(table, base + Field.handled);
    return takeCallTail(this.slot)?.lines ?? null;
  }
}

/** Entries taken from a running call's tail by the main thread, with where they belong in its stream. */
export interface TakenTail {
  lines: TailLines;
  /** How many messages the call had posted before these entries: they follow the last of those. */
  after: number;
}

/**
 * Empties the tail of the running call in flow-control `slot` if its first entry came at least
 * `olderThanMs` ago (0: whatever its age); null when there is nothing to take.
 */
export function takeCallTail(slot: number, olderThanMs = 0): TakenTail | null {
  const tail = tailOf(slot);
  return tail === undefined ? null : takeTail(tail, olderThanMs);
}

function tailOf(slot: number): SharedArrayBuffer | undefined {
  const id = Atomics.load(slots(), slot * FIELDS + Field.tail);
  return id === 0 ? undefined : tails.get(id)?.deref();
}

/** Empties a tail the worker may be writing to; a worker holds the lock only to copy one entry. */
function takeTail(buffer: SharedArrayBuffer, olderThanMs: number): TakenTail | null {
  const header = new Int32Array(buffer, 0, 4);
  if (Atomics.load(header, 1) === 0) return null;
  while (Atomics.compareExchange(header, 0, Lock.free, Lock.main) !== Lock.free) {}
  try {
    const count = header[1] as number;
    if (count === 0 || Date.now() - (new Float64Array(buffer, 16, 1)[0] as number) < olderThanMs) return null;
    const lines = copyLines(buffer, count, header[2] as number);
    header[1] = 0;
    header[2] = 0;
    return { lines, after: header[3] as number };
  } finally {
    Atomics.store(header, 0, Lock.free);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Hands each entry of a batch to its handler, in order: records decoded, step lines as bytes. */
export function deliverEntries(
  lines: TailLines,
  onLog: ((level: number, message: string) => void) | undefined,
  onStepLog: ((stream: number, line: Uint8Array) => void) | undefined,
): void {
  const { streams, ends, bytes } = lines;
  for (let i = 0, start = 0; i < ends.length; start = ends[i++] as number) {
    const kind = streams[i] as number;
    if (kind >= RECORD) onLog?.(kind - RECORD, utf8.decode(bytes.subarray(start, ends[i])));
    else onStepLog?.(kind, bytes.subarray(start, ends[i]));
  }
}

function copyLines(buffer: SharedArrayBuffer, count: number, byteLength: number): TailLines {
  return {
    ends: new Uint32Array(buffer, ENDS_AT, count).slice(),
    streams: new Uint8Array(buffer, STREAMS_AT, count).slice(),
    bytes: new Uint8Array(buffer, BYTES_AT, byteLength).slice(),
  };
}

// ---- the worker's side ----

/** A worker's end of its calls' output: the tail it batches entries in, and flow control. */
export class WorkerOutput {
  private readonly table: Int32Array;
  private readonly header: Int32Array;
  private readonly firstAt: Float64Array;
  private readonly ends: Uint32Array;
  private readonly streams: Uint8Array;
  private readonly bytes: Uint8Array;
  /** `ptr(bytes)`: plugin memory is copied in with memcpy (native-copy.ts). */
  private readonly bytesAddress: number;
  private base = -1;
  /** Bytes of output the current call produced (in the tail or posted); wraps as an int32. */
  private produced = 0;
  /** Messages the current call posted. */
  private messages = 0;

  constructor(private readonly buffers: OutputBuffers) {
    this.table = new Int32Array(buffers.slots);
    this.header = new Int32Array(buffers.tail, 0, 4);
    this.firstAt = new Float64Array(buffers.tail, 16, 1);
    this.ends = new Uint32Array(buffers.tail, ENDS_AT, TAIL_LINES);
    this.streams = new Uint8Array(buffers.tail, STREAMS_AT, TAIL_LINES);
    this.bytes = new Uint8Array(buffers.tail, BYTES_AT, TAIL_BYTES);
    this.bytesAddress = ptr(this.bytes) as unknown as number;
  }

  /** A call starts on this worker: `slot` is its flow-control slot, if it has one. */
  begin(slot: number | undefined): void {
    this.produced = 0;
    this.messages = 0;
    this.base = slot === undefined ? -1 : slot * FIELDS;
    this.header[1] = 0;
    this.header[2] = 0;
    this.header[3] = 0;
    Atomics.store(this.header, 0, Lock.free);
    if (this.base >= 0) Atomics.store(this.table, this.base + Field.tail, this.buffers.tailId);
  }

  get lineCount(): number {
    return this.header[1] as number;
  }

  /** Whether the main thread takes entries that wait too long (the call has a slot it can find the tail by). */
  get drainedByMain(): boolean {
    return this.base >= 0;
  }

  /** Whether an entry of `length` bytes fits in the tail next to what it holds. */
  fits(length: number): boolean {
    return (this.header[1] as number) < TAIL_LINES && (this.header[2] as number) + length <= TAIL_BYTES;
  }

  /** Appends an entry that fits, copied from the plugin's memory. */
  append(kind: number, entry: PluginBytes): void {
    const length = entry.length;
    this.lock();
    const count = this.header[1] as number;
    if (count === 0) this.firstAt[0] = Date.now();
    const end = (this.header[2] as number) + length;
    copyFromPlugin(this.bytes, this.bytesAddress, end - length, entry.address, length);
    this.ends[count] = end;
    this.streams[count] = kind;
    this.header[2] = end;
    this.header[1] = count + 1; // published by the unlock's Atomics.store
    Atomics.store(this.header, 0, Lock.free);
    this.produce(length);
  }

  /**
   * Appends the lines of `chunk` from `start` on (each ends after its `\n`, the last one at the
   * chunk's end) while they fit, with one copy; returns where it stopped (`start` if none fit).
   */
  appendLines(stream: number, chunk: Uint8Array, start: number): number {
    this.lock();
    let count = this.header[1] as number;
    if (count === 0) this.firstAt[0] = Date.now();
    const first = this.header[2] as number;
    let end = first;
    let pos = start;
    while (pos < chunk.length && count < TAIL_LINES) {
      const newline = chunk.indexOf(10, pos);
      const stop = newline < 0 ? chunk.length : newline + 1;
      if (end + (stop - pos) > TAIL_BYTES) break;
      end += stop - pos;
      this.ends[count] = end;
      this.streams[count] = stream;
      count++;
      pos = stop;
    }
    if (pos > start) this.bytes.set(chunk.subarray(start, pos), first);
    this.header[2] = end;
    Atomics.store(this.header, 1, count);
    Atomics.store(this.header, 0, Lock.free);
    this.produce(end - first);
    return pos;
  }

  /** Takes every entry out of the tail (to post them), or null when it is empty. */
  take(): TailLines | null {
    if (this.header[1] === 0) return null;
    this.lock();
    const count = this.header[1] as number;
    const lines = count === 0 ? null : copyLines(this.buffers.tail, count, this.header[2] as number);
    this.header[1] = 0;
    this.header[2] = 0;
    Atomics.store(this.header, 0, Lock.free);
    return lines;
  }

  /**
   * A message is about to be posted, carrying `bytes` of output not counted yet (0 for entries
   * taken from the tail, counted as they came in): counts it, then waits (blocking this worker
   * thread, which is inside a host function) while the main thread is more than OUTPUT_WINDOW behind.
   */
  posting(bytes: number): void {
    this.messages++;
    // Under the lock: the main thread reads it with the entries it takes (they follow this message).
    this.lock();
    this.header[3] = this.messages;
    Atomics.store(this.header, 0, Lock.free);
    if (bytes > 0) this.produce(bytes);
    if (this.base < 0) return;
    const t = this.table;
    for (;;) {
      const handled = Atomics.load(t, this.base + Field.handled);
      if (
        ((this.produced - handled) | 0) <= OUTPUT_WINDOW ||
        Atomics.load(t, this.base + Field.released) !== 0
      )
        return;
      Atomics.store(t, this.base + Field.waiting, 1);
      Atomics.wait(t, this.base + Field.handled, handled, 100);
      Atomics.store(t, this.base + Field.waiting, 0);
    }
  }

  private produce(bytes: number): void {
    this.produced = (this.produced + bytes) | 0;
  }

  private lock(): void {
    while (Atomics.compareExchange(this.header, 0, Lock.free, Lock.worker) !== Lock.free) {}
  }
}
