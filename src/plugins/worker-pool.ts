/**
 * Runs plugin calls on worker threads, at most `size` at once. The main
 * thread only sends requests and receives what the plugin produced (logs,
 * events, output), so it keeps rendering and handling signals while native
 * code blocks. Requests and replies take each worker's shared-memory channel
 * (call-channel.ts; postMessage when they do not fit); cancellation reaches
 * `keep_going` through shared memory too.
 *
 * A worker is never terminated while a plugin may still call into it
 * (`docs/design.md`, "Bun facts hm is built on": that crashes the process); `close()` waits for calls to end.
 * Under a supervisor, each call's start and return are reported (from the
 * moment a worker has it until its native code returns, abandoned or not),
 * so a crash or exit() inside one is named.
 */

import { reportCallEnd, reportCallStart } from "../report-channel/writer.ts";
import { CallChannel, type ChannelWorkerInit } from "./call-channel.ts";
import type { CallContext, CallRequest } from "./call-context.ts";
import { deliverEntries, type TakenTail, takeCallTail } from "./call-output.ts";
import type { CallOutcome } from "./host-table.ts";
import { kvWriteCounter } from "./kv-store.ts";
import type { HostMessage } from "./worker-host.ts";

export interface CallHandlers {
  onLog?(level: number, message: string): void;
  onEvent?(bytes: Uint8Array): void;
  onStepLog?(stream: number, line: Uint8Array): void;
  onWrite?(fd: 1 | 2, bytes: Uint8Array): void;
  /** After each batch or message: `bytes` of the call's output were handled (flow control, call-output.ts). */
  onHandled?(bytes: number): void;
}

export interface PendingCall {
  readonly result: Promise<CallOutcome>;
  /** Makes `keep_going` answer 0 ("stop") for this call from now on; a no-op once it has ended. */
  cancel(): void;
  /**
   * Gives up on a call that did not stop: its result rejects now, and its
   * worker is retired (left to finish, never terminated while the plugin may
   * still call back) while a fresh worker takes its place in the pool.
   */
  abandon(): void;
}

interface Job {
  done: boolean;
  request: Omit<CallRequest, "context"> & { context: Omit<CallContext, "cancelSlot"> };
  handlers: CallHandlers;
  slot: number;
  /** Messages received for this call, and how many the worker posted (known once it replied). */
  received: number;
  posted: number;
  /** The channel's reply, held until every message the call posted has arrived. */
  reply: CallOutcome | Error | null;
  resolve(outcome: CallOutcome): void;
  reject(error: Error): void;
  /** Its record in the supervisor's call table while its native code runs (-1: none). */
  record: number;
  /** Entries taken from its tail by the drain, each waiting until `after` messages were received. */
  drained: TakenTail[];
}

/**
 * How often the main thread looks at running calls' tails: entries whose first came at least an
 * interval ago (the plugin neither filled the batch nor polled since) are taken and handed over,
 * so a record or a line shows within about two intervals, even while its plugin blocks.
 */
const DRAIN_INTERVAL_MS = 20;

const CANCEL_SLOTS = 4096;

/**
 * The worker's module: beside this file under `bun run`; in the compiled
 * binary, the second entry point of scripts/build.ts, which keeps its path
 * relative to src/ (`docs/design.md`, "Bun facts hm is built on").
 */
function workerEntry(): string {
  if (import.meta.url.includes("/$bunfs/")) return "/$bunfs/root/plugins/worker.js";
  return new URL("./worker.ts", import.meta.url).href;
}

export class WorkerPool {
  private readonly cancelFlags = new Int32Array(new SharedArrayBuffer(4 * CANCEL_SLOTS));
  private readonly freeSlots: number[] = Array.from({ length: CANCEL_SLOTS }, (_, i) => CANCEL_SLOTS - 1 - i);
  private readonly idle: Worker[] = [];
  private readonly channels = new Map<Worker, CallChannel>();
  private readonly busy = new Map<Worker, Job>();
  /**
   * Workers whose call was abandoned, with that call's cancel slot; each is
   * terminated, and its slot given back, once its plugin call returns.
   */
  private readonly retired = new Map<Worker, { slot: number; record: number }>();
  private readonly queue: Job[] = [];
  private workerCount = 0;
  private nextId = 1;
  private closed = false;
  private drainTimer: ReturnType<typeof setInterval> | undefined;

  /** Cancel slots not held by a call (a call abandoned while running holds its slot until it returns). */
  get freeCancelSlots(): number {
    return this.freeSlots.length;
  }

  constructor(private readonly size: number) {
    if (size < 1) throw new Error("worker pool size must be at least 1");
  }

  call(
    libraryPath: string,
    method: number,
    input: Uint8Array,
    context: Omit<CallContext, "cancelSlot">,
    handlers: CallHandlers = {},
  ): PendingCall {
    if (this.closed) throw new Error("the plugin worker pool is closed");
    const slot = this.freeSlots.pop();
    if (slot === undefined) throw new Error("too many plugin calls in flight");
    Atomics.store(this.cancelFlags, slot, 0);
    let job!: Job;
    const result = new Promise<CallOutcome>((resolve, reject) => {
      job = {
        done: false,
        request: { id: this.nextId++, libraryPath, method, input, context },
        handlers,
        slot,
        received: 0,
        posted: 0,
        reply: null,
        resolve,
        reject,
        record: -1,
        drained: [],
      };
    });
    this.queue.push(job);
    this.dispatch();
    return {
      result,
      cancel: () => {
        if (!job.done) Atomics.store(this.cancelFlags, slot, 1);
      },
      abandon: () => this.abandon(job),
    };
  }

  /** Waits for running calls, then stops every worker. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.busy.size > 0 || this.queue.length > 0) await Bun.sleep(5);
    for (const worker of this.idle.splice(0)) {
      this.channels.delete(worker);
      worker.terminate();
    }
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? this.spawn();
      if (worker === null) return;
      const job = this.queue.shift() as Job;
      this.busy.set(worker, job);
      const { context } = job.request;
      job.record = reportCallStart(context.pluginName, job.request.method, context.stepId);
      const request: CallRequest = {
        ...job.request,
        context: { ...job.request.context, cancelSlot: job.slot },
      };
      const channel = this.channels.get(worker);
      if (channel?.send(request)) void this.awaitReply(worker, channel, job);
      else worker.postMessage(request);
    }
    if (this.busy.size > 0 && this.drainTimer === undefined) {
      this.drainTimer = setInterval(() => this.drainTails(), DRAIN_INTERVAL_MS);
      this.drainTimer.unref();
    }
  }

  /** Takes the entries that waited an interval in a running call's tail (see DRAIN_INTERVAL_MS). */
  private drainTails(): void {
    if (this.busy.size === 0) {
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
      return;
    }
    for (const job of this.busy.values()) {
      const slot = job.request.context.outputSlot;
      const taken = slot === undefined ? null : takeCallTail(slot, DRAIN_INTERVAL_MS);
      if (taken === null) continue;
      job.drained.push(taken);
      this.deliverDrained(job);
    }
  }

  /** Hands over drained entries whose preceding messages have all been received. */
  private deliverDrained(job: Job): void {
    while (job.drained.length > 0 && (job.drained[0] as TakenTail).after <= job.received) {
      const { lines } = job.drained.shift() as TakenTail;
      deliverEntries(lines, job.handlers.onLog, job.handlers.onStepLog);
      job.handlers.onHandled?.(lines.bytes.length);
    }
  }

  private async awaitReply(worker: Worker, channel: CallChannel, job: Job): Promise<void> {
    const reply = await channel.reply(() => this.busy.get(worker) === job || this.retired.has(worker));
    if (reply === null) return;
    if (this.retired.has(worker)) {
      this.releaseRetired(worker);
      return;
    }
    if (this.busy.get(worker) !== job || reply.kind === "in_message") return;
    job.posted = reply.posted;
    job.reply = reply.kind === "done" ? reply.outcome : new Error(reply.error);
    this.finishWhenComplete(worker, job);
  }

  /** Finishes a call the channel answered once its posted messages have all been handled. */
  private finishWhenComplete(worker: Worker, job: Job): void {
    if (job.reply !== null && job.received >= job.posted) this.finish(worker, job.reply);
  }

  private spawn(): Worker | null {
    if (this.workerCount >= this.size) return null;
    this.workerCount++;
    const worker = new Worker(workerEntry());
    const channel = new CallChannel();
    this.channels.set(worker, channel);
    const init: ChannelWorkerInit = {
      type: "init",
      cancelFlags: this.cancelFlags.buffer,
      kvWrites: kvWriteCounter(),
      channel: channel.buffers,
    };
    worker.postMessage(init);
    worker.onmessage = (event: MessageEvent<HostMessage>) => this.receive(worker, event.data);
    // An uncaught error leaves the worker unusable: drop it (it runs no native code at that point).
    worker.onerror = (event) =>
      this.finish(worker, new Error(`plugin worker failed: ${event.message}`), false);
    return worker;
  }

  private receive(worker: Worker, message: HostMessage): void {
    if (this.retired.has(worker)) {
      // The abandoned call has returned: nothing can call back into this worker any more.
      if (message.type === "done" || message.type === "failed") this.releaseRetired(worker);
      return;
    }
    const job = this.busy.get(worker);
    if (job === undefined || job.request.id !== message.id) return;
    const h = job.handlers;
    switch (message.type) {
      case "event":
        h.onEvent?.(message.bytes);
        h.onHandled?.(message.bytes.length);
        break;
      case "step_logs":
        deliverEntries(message, h.onLog, h.onStepLog);
        h.onHandled?.(message.bytes.length);
        break;
      case "write":
        h.onWrite?.(message.fd, message.bytes);
        h.onHandled?.(message.bytes.length);
        break;
      case "done":
        this.finish(worker, {
          status: message.status,
          output: message.output,
          hostErrors: message.hostErrors,
        });
        return;
      case "failed":
        this.finish(worker, new Error(message.error));
        return;
    }
    job.received++;
    if (job.drained.length > 0) this.deliverDrained(job);
    this.finishWhenComplete(worker, job);
  }

  /** The abandoned call has returned: nothing can call back into this worker, or poll its slot, any more. */
  private releaseRetired(worker: Worker): void {
    const retired = this.retired.get(worker);
    if (retired === undefined) return;
    this.retired.delete(worker);
    worker.terminate();
    this.freeSlots.push(retired.slot);
    reportCallEnd(retired.record);
  }

  private abandon(job: Job): void {
    if (job.done) return;
    // What the drain took is older than anything still in the tail: it goes first, whatever the
    // messages before it (which will never be received now).
    for (const { lines } of job.drained.splice(0))
      deliverEntries(lines, job.handlers.onLog, job.handlers.onStepLog);
    const worker = [...this.busy].find(([, j]) => j === job)?.[0];
    job.done = true;
    Atomics.store(this.cancelFlags, job.slot, 1); // its slot stays taken: the plugin may still poll it
    if (worker === undefined) {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.freeSlots.push(job.slot);
    } else {
      this.busy.delete(worker);
      this.retired.set(worker, { slot: job.slot, record: job.record });
      this.channels.delete(worker);
      this.workerCount--;
    }
    job.reject(new Error("the call did not stop and was abandoned"));
    this.dispatch();
  }

  private finish(worker: Worker, outcome: CallOutcome | Error, reusable = true): void {
    const job = this.busy.get(worker);
    if (job === undefined) return;
    // Drained entries whose messages never came (the worker failed): still published, in order.
    for (const { lines } of job.drained.splice(0))
      deliverEntries(lines, job.handlers.onLog, job.handlers.onStepLog);
    job.done = true;
    this.busy.delete(worker);
    this.freeSlots.push(job.slot);
    reportCallEnd(job.record);
    if (reusable) this.idle.push(worker);
    else {
      this.channels.get(worker)?.wakeWaiter();
      this.channels.delete(worker);
      this.workerCount--;
    }
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
    this.dispatch();
  }
}
