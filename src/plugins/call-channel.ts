/**
 * The shared-memory channel between the worker pool and one plugin worker: a
 * call's request and its reply travel through a SharedArrayBuffer, and each
 * side wakes the other with Atomics.notify and waits with Atomics.waitAsync
 * (never a blocking wait: both event loops stay free for messages). A round
 * trip costs a fraction of two postMessage hops (bench/plugin-call.ts).
 *
 * Both sides poll briefly before they sleep: waking a thread that sleeps on
 * the other core costs 50-70 µs on a small VM (the idle vCPU has to be woken),
 * against 3-9 µs for a round trip where both sides are still polling. But
 * when the two threads share a core, polling only delays the other side. So
 * each side adapts its window: fully open after a poll that caught the other
 * side's answer, halved after four misses in a row, between a small floor and
 * a cap (worker 50 µs after each reply; pool 20 µs after sending, so the main
 * thread never waits longer than that synchronously). Back-to-back calls on
 * two cores keep the windows open; sparse calls, or one shared core, close
 * them.
 *
 * What the channel does not carry goes by postMessage as before: a request or
 * a reply too large for the buffer, and everything a plugin produces during
 * the call (logs, events, output). The reply counts those messages, so the
 * pool finishes a call only after it has received all of them.
 */
import type { CallRequest, WorkerInit } from "./call-context.ts";
import { newOutputBuffers, type OutputBuffers } from "./call-output.ts";
import type { CallOutcome } from "./host-table.ts";

/** The buffers both sides share; sent to the worker once, in its init message. */
interface ChannelBuffers {
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
  /** What the worker's calls produce: flow control and the unposted step lines (call-output.ts). */
  readonly output: OutputBuffers;
}

/** The pool's init message to a worker: the cancel flags, and the worker's channel. */
export type ChannelWorkerInit = WorkerInit & { channel: ChannelBuffers };

/** How a call ended, as the worker reported it through the channel. */
type ChannelReply =
  | { kind: "done"; id: number; posted: number; outcome: CallOutcome }
  | { kind: "failed"; id: number; posted: number; error: string }
  /** The reply did not fit: it follows as a `done` message. */
  | { kind: "in_message"; id: number };

const State = { idle: 0, request: 1, done: 2, failed: 3, inMessage: 4 } as const;
/** Int32 slots of `control`. */
const Slot = { state: 0, id: 1, method: 2, headerLength: 3, inputLength: 4, status: 5, posted: 6 } as const;
const SLOTS = 8;
/** Requests and replies up to this size take the channel; larger ones go by postMessage. */
const CHANNEL_CAPACITY = 1 << 20;

const WORKER_POLL = { floor: 5_000, cap: 50_000 };
const POOL_POLL = { floor: 2_000, cap: 20_000 };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class CallChannel {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  /** This side's current poll window (only one side uses each channel object). */
  private pollNs = Number.POSITIVE_INFINITY;
  private misses = 0;

  constructor(readonly buffers: ChannelBuffers = newBuffers()) {
    this.control = new Int32Array(buffers.control);
    this.data = new Uint8Array(buffers.data);
  }

  // ---- the pool's side ----

  /** Puts `request` in the channel and wakes the worker; false (nothing sent) when it does not fit. */
  send(request: CallRequest): boolean {
    const { id, method, input, ...header } = request;
    const text = JSON.stringify(header);
    const written = encoder.encodeInto(text, this.data);
    if (written.read < text.length || written.written + input.length > CHANNEL_CAPACITY) return false;
    this.data.set(input, written.written);
    const c = this.control;
    c[Slot.id] = id;
    c[Slot.method] = method;
    c[Slot.headerLength] = written.written;
    c[Slot.inputLength] = input.length;
    Atomics.store(c, Slot.state, State.request);
    Atomics.notify(c, Slot.state);
    return true;
  }

  /**
   * The worker's reply to the request sent last, once it is there; null when
   * `stillWaiting` is false after a `wakeWaiter()` (the worker died). No
   * timeout: a timed waitAsync costs a timer per call (~4 µs here).
   */
  async reply(stillWaiting: () => boolean): Promise<ChannelReply | null> {
    const c = this.control;
    this.poll((state) => state === State.request, POOL_POLL);
    for (;;) {
      const state = Atomics.load(c, Slot.state);
      if (state !== State.request) break;
      if (!stillWaiting()) return null;
      const wait = Atomics.waitAsync(c, Slot.state, State.request);
      if (wait.async) await wait.value;
    }
    const state = Atomics.load(c, Slot.state);
    const id = c[Slot.id] as number;
    const posted = c[Slot.posted] as number;
    let reply: ChannelReply;
    if (state === State.inMessage) {
      reply = { kind: "in_message", id };
    } else if (state === State.failed) {
      reply = {
        kind: "failed",
        id,
        posted,
        error: decoder.decode(this.data.subarray(0, c[Slot.headerLength])),
      };
    } else {
      const errorsLength = c[Slot.headerLength] as number;
      const outputLength = c[Slot.inputLength] as number;
      const hostErrors = JSON.parse(decoder.decode(this.data.subarray(0, errorsLength))) as string[];
      const output = outputLength < 0 ? null : this.data.slice(errorsLength, errorsLength + outputLength);
      reply = { kind: "done", id, posted, outcome: { status: c[Slot.status] as number, output, hostErrors } };
    }
    Atomics.store(c, Slot.state, State.idle);
    Atomics.notify(c, Slot.state);
    return reply;
  }

  /** Wakes the pool's pending `reply()` so it checks `stillWaiting` again (its worker died). */
  wakeWaiter(): void {
    Atomics.notify(this.control, Slot.state);
  }

  // ---- the worker's side ----

  /** The next request the pool sends through the channel. */
  async receive(): Promise<CallRequest> {
    const c = this.control;
    this.poll((state) => state !== State.request, WORKER_POLL);
    for (;;) {
      const state = Atomics.load(c, Slot.state);
      if (state === State.request) break;
      const wait = Atomics.waitAsync(c, Slot.state, state);
      if (wait.async) await wait.value;
    }
    const headerLength = c[Slot.headerLength] as number;
    const header = JSON.parse(decoder.decode(this.data.subarray(0, headerLength))) as Omit<
      CallRequest,
      "id" | "method" | "input"
    >;
    const input = this.data.slice(headerLength, headerLength + (c[Slot.inputLength] as number));
    return { ...header, id: c[Slot.id] as number, method: c[Slot.method] as number, input };
  }

  /**
   * Answers the request with its outcome; false (nothing written) when it does
   * not fit: call `repliedInMessage`, then post a `done` message (in that order).
   */
  replyDone(outcome: CallOutcome, posted: number): boolean {
    const text = JSON.stringify(outcome.hostErrors);
    const errors = encoder.encodeInto(text, this.data);
    const outputLength = outcome.output?.length ?? 0;
    if (errors.read < text.length || errors.written + outputLength > CHANNEL_CAPACITY) return false;
    if (outcome.output !== null) this.data.set(outcome.output, errors.written);
    const c = this.control;
    c[Slot.headerLength] = errors.written;
    c[Slot.inputLength] = outcome.output === null ? -1 : outputLength;
    c[Slot.status] = outcome.status;
    this.wake(State.done, posted);
    return true;
  }

  replyFailed(error: string, posted: number): void {
    const written = encoder.encodeInto(error, this.data.subarray(0, 64 * 1024));
    this.control[Slot.headerLength] = written.written;
    this.wake(State.failed, posted);
  }

  repliedInMessage(): void {
    this.wake(State.inMessage, 0);
  }

  /**
   * Polls the state while `waiting(state)` holds, for the current window. A
   * poll that catches the answer opens the window fully; four misses in a row
   * halve it, down to the floor.
   */
  private poll(waiting: (state: number) => boolean, bounds: { floor: number; cap: number }): void {
    const ns = Math.min(bounds.cap, Math.max(bounds.floor, this.pollNs));
    const until = Bun.nanoseconds() + ns;
    while (waiting(Atomics.load(this.control, Slot.state))) {
      if (Bun.nanoseconds() >= until) {
        if (++this.misses >= 4) {
          this.pollNs = ns / 2;
          this.misses = 0;
        }
        return;
      }
    }
    this.pollNs = bounds.cap;
    this.misses = 0;
  }

  private wake(state: number, posted: number): void {
    this.control[Slot.posted] = posted;
    Atomics.store(this.control, Slot.state, state);
    Atomics.notify(this.control, Slot.state);
  }
}

function newBuffers(): ChannelBuffers {
  return {
    control: new SharedArrayBuffer(4 * SLOTS),
    data: new SharedArrayBuffer(CHANNEL_CAPACITY),
    output: newOutputBuffers(),
  };
}
