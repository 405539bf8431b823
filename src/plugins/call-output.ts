/**
 * What a plugin call produces (log records, step log lines, events, raw output) on its way from
 * the worker to the main thread, bounded and never stranded:
 *
 * - Flow control. The worker posts what the plugin emits as messages; a plugin that emits faster
 *   than the main thread handles them used to grow the message queue without bound (1 GB of
 *   hm_log grew hm to ~1 GB). Each call has a slot of shared counters: bytes posted (the worker)
 *   and bytes handled (the main thread, as each record or line reaches its handler). A worker
 *   more than OUTPUT_WINDOW ahead blocks inside the host function (Atomics.wait, on the worker
 *   thread only) until the main thread catches up, so the plugin slows to hm's pace instead.
 *
 * - The unposted tail. Step lines wait in a batch before they are posted (one message per batch:
 *   worker-host.ts). The batch lives in a buffer shared with the main thread, so when a call is
 *   abandoned (a plugin hung in native code, whose worker thread will never post again) the main
 *   thread takes the lines the plugin emitted before it hung and publishes them.
 *
 * Both live in shared memory because the worker's thread is inside native code whenever it
 * matters: it cannot answer a message.
 */

/** Int32 fields of one call's slot in the shared slot table. */
const Field = { posted: 0, handled: 1, waiting: 2, tail: 3, released: 4 } as const;
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
const TAIL_HEADER = 16; // Int32: lock, count, byteLength, unused
const ENDS_AT = TAIL_HEADER;
const STREAMS_AT = ENDS_AT + 4 * TAIL_LINES;
const BYTES_AT = STREAMS_AT + TAIL_LINES;
const Lock = { free: 0, worker: 1, main: 2 } as const;

/** Step log lines taken out of a tail: line i is `bytes[ends[i - 1] ?? 0 .. ends[i]]` on stream `streams[i]`. */
interface TailLines {
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
    const tail = tails.get(Atomics.load(table, base + Field.tail))?.deref();
    return tail === undefined ? null : takeTail(tail);
  }
}

/** Empties a tail the worker may be writing to; a worker holds the lock only to copy one line. */
function takeTail(buffer: SharedArrayBuffer): TailLines | null {
  const header = new Int32Array(buffer, 0, 4);
  while (Atomics.compareExchange(header, 0, Lock.free, Lock.main) !== Lock.free) {}
  try {
    const count = header[1] as number;
    if (count === 0) return null;
    return copyLines(buffer, count, header[2] as number);
  } finally {
    header[1] = 0;
    header[2] = 0;
    Atomics.store(header, 0, Lock.free);
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

/** A worker's end of its calls' output: the tail it batches step lines in, and flow control. */
export class WorkerOutput {
  private readonly table: Int32Array;
  private readonly header: Int32Array;
  private readonly ends: Uint32Array;
  private readonly streams: Uint8Array;
  private readonly bytes: Uint8Array;
  private base = -1;
  private posted = 0;

  constructor(private readonly buffers: OutputBuffers) {
    this.table = new Int32Array(buffers.slots);
    this.header = new Int32Array(buffers.tail, 0, 4);
    this.ends = new Uint32Array(buffers.tail, ENDS_AT, TAIL_LINES);
    this.streams = new Uint8Array(buffers.tail, STREAMS_AT, TAIL_LINES);
    this.bytes = new Uint8Array(buffers.tail, BYTES_AT, TAIL_BYTES);
  }

  /** A call starts on this worker: `slot` is its flow-control slot, if it has one. */
  begin(slot: number | undefined): void {
    this.posted = 0;
    this.base = slot === undefined ? -1 : slot * FIELDS;
    this.header[1] = 0;
    this.header[2] = 0;
    Atomics.store(this.header, 0, Lock.free);
    if (this.base >= 0) Atomics.store(this.table, this.base + Field.tail, this.buffers.tailId);
  }

  get lineCount(): number {
    return this.header[1] as number;
  }

  /** Whether `line` fits in the tail next to what it holds. */
  fits(line: Uint8Array): boolean {
    return (this.header[1] as number) < TAIL_LINES && (this.header[2] as number) + line.length <= TAIL_BYTES;
  }

  /** Appends a line that fits. */
  append(stream: number, line: Uint8Array): void {
    this.lock();
    const count = this.header[1] as number;
    const end = (this.header[2] as number) + line.length;
    this.bytes.set(line, end - line.length);
    this.ends[count] = end;
    this.streams[count] = stream;
    this.header[2] = end;
    Atomics.store(this.header, 1, count + 1);
    Atomics.store(this.header, 0, Lock.free);
  }

  /**
   * Appends the lines of `chunk` from `start` on (each ends after its `\n`, the last one at the
   * chunk's end) while they fit, with one copy; returns where it stopped (`start` if none fit).
   */
  appendLines(stream: number, chunk: Uint8Array, start: number): number {
    this.lock();
    let count = this.header[1] as number;
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
    return pos;
  }

  /** Takes every line out of the tail (to post them), or null when it is empty. */
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
   * `bytes` of output are about to be posted: waits (blocking this worker thread, which is inside
   * a host function) while the main thread is more than OUTPUT_WINDOW behind.
   */
  posting(bytes: number): void {
    if (this.base < 0) return;
    const t = this.table;
    this.posted = (this.posted + bytes) | 0;
    Atomics.store(t, this.base + Field.posted, this.posted);
    for (;;) {
      const handled = Atomics.load(t, this.base + Field.handled);
      if (((this.posted - handled) | 0) <= OUTPUT_WINDOW || Atomics.load(t, this.base + Field.released) !== 0)
        return;
      Atomics.store(t, this.base + Field.waiting, 1);
      Atomics.wait(t, this.base + Field.handled, handled, 100);
      Atomics.store(t, this.base + Field.waiting, 0);
    }
  }

  private lock(): void {
    while (Atomics.compareExchange(this.header, 0, Lock.free, Lock.worker) !== Lock.free) {}
  }
}
