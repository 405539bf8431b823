/**
 * One bus for a run's build events (`docs/design.md`, "Hooks"). Every consumer
 * (renderer, `after` hook) has its own queue and sees every event, in order,
 * one at a time: a consumer that returns a promise gets the next event only
 * once it settles. Producers never wait: a slow consumer's queue spills to a
 * file past a memory bound (`SpillQueue`).
 *
 * `before` hooks sit in front of the consumers: an event of a gated kind is
 * held (and every event after it, to keep order) until the gate answers.
 */
import { messageOf } from "../errors.ts";
import type { HmEvent, HmEventKind } from "./events.ts";
import { SpillQueue } from "./spill-queue.ts";

export interface EventConsumer {
  readonly name: string;
  deliver(event: HmEvent): void | Promise<void>;
  /**
   * The kinds this consumer handles, when not all: other events are never queued for it. A hook
   * on build_start must not have every log line of the run queued (and spilled) behind it.
   */
  wants?(kind: HmEventKind): boolean;
  /**
   * Events this consumer takes many at a time: when the next queued event is one `accepts`
   * takes, the queued events after it that it also takes (up to `max`) go with it in one
   * `deliver`. A slow consumer thus gets bigger batches, never more calls.
   */
  readonly batch?: {
    readonly max: number;
    accepts(event: HmEvent): boolean;
    deliver(events: HmEvent[]): void | Promise<void>;
  };
}

interface EventBusOptions {
  /** Where spill files go (the run's directory). */
  readonly spillDir: string;
  /** Events a consumer may have waiting in memory before its queue spills. */
  readonly memoryLimit?: number;
  /** Runs the `before` hooks of an event; gated kinds only. */
  readonly gate?: { kinds: ReadonlySet<HmEventKind>; check(event: HmEvent): Promise<void> };
  /** A consumer that threw: reported once per consumer, which is then dropped. */
  readonly onConsumerError?: (consumer: string, message: string) => void;
}

interface Subscription {
  readonly consumer: EventConsumer;
  readonly queue: SpillQueue;
  draining: boolean;
  failed: boolean;
  idle: (() => void)[];
}

export class EventBus {
  private readonly subscriptions: Subscription[] = [];
  /** Events held behind a gated one, in order; `heldHead` is the next to release. */
  private held: HmEvent[] = [];
  /** An index, not `shift()`: shifting a long array is linear, and thousands of events may wait. */
  private heldHead = 0;
  private gating = false;

  constructor(private readonly options: EventBusOptions) {}

  subscribe(consumer: EventConsumer): void {
    this.subscriptions.push({
      consumer,
      queue: new SpillQueue(this.options.memoryLimit ?? 10_000, this.options.spillDir),
      draining: false,
      failed: false,
      idle: [],
    });
  }

  publish(event: HmEvent): void {
    const gate = this.options.gate;
    if (this.gating || gate?.kinds.has(event.kind)) {
      this.held.push(event);
      if (!this.gating) void this.releaseHeld();
      return;
    }
    this.fanOut(event);
  }

  /** Resolves once every event published so far has been handled by every consumer. */
  async drained(): Promise<void> {
    while (this.gating) await new Promise((r) => setTimeout(r, 5));
    await Promise.all(
      this.subscriptions.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.failed || (!s.draining && s.queue.size === 0)) resolve();
            else s.idle.push(resolve);
          }),
      ),
    );
  }

  /** Per consumer: the most events that waited at once and how many spilled to disk. */
  stats(): Record<string, { peakQueued: number; spilled: number }> {
    return Object.fromEntries(this.subscriptions.map((s) => [s.consumer.name, { ...s.queue.stats }]));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.queue.dispose();
  }

  private async releaseHeld(): Promise<void> {
    this.gating = true;
    const gate = this.options.gate;
    while (this.heldHead < this.held.length) {
      const event = this.held[this.heldHead++] as HmEvent;
      // Released events are let go of in batches, so a long hold does not keep the whole run.
      if (this.heldHead > 4096 && this.heldHead * 2 > this.held.length) {
        this.held = this.held.slice(this.heldHead);
        this.heldHead = 0;
      }
      if (gate?.kinds.has(event.kind)) {
        try {
          await gate.check(event);
        } catch (error) {
          this.options.onConsumerError?.("before hooks", messageOf(error));
        }
      }
      this.fanOut(event);
    }
    this.held = [];
    this.heldHead = 0;
    this.gating = false;
  }

  private fanOut(event: HmEvent): void {
    for (const s of this.subscriptions) {
      if (s.failed || (s.consumer.wants !== undefined && !s.consumer.wants(event.kind))) continue;
      if (s.draining || s.queue.size > 0) {
        s.queue.push(event);
        continue;
      }
      // Nothing waits for this consumer: the event goes to it now, without a queue round trip
      // or an async drain per event (most events of a busy run meet an idle, synchronous
      // consumer). Only when it returns a promise do later events queue behind it.
      // Marked as draining meanwhile: an event published from inside `deliver` queues behind this one.
      s.draining = true;
      let pending: void | Promise<void>;
      try {
        pending = s.consumer.batch?.accepts(event)
          ? s.consumer.batch.deliver([event])
          : s.consumer.deliver(event);
      } catch (error) {
        s.draining = false;
        this.fail(s, error);
        continue;
      }
      if (pending !== undefined || s.queue.size > 0) void this.drain(s, pending);
      else {
        s.draining = false;
        if (s.idle.length > 0) for (const resolve of s.idle.splice(0)) resolve();
      }
    }
  }

  private fail(s: Subscription, error: unknown): void {
    s.failed = true;
    this.options.onConsumerError?.(s.consumer.name, messageOf(error));
    s.queue.dispose();
    for (const resolve of s.idle.splice(0)) resolve();
  }

  /** Delivers `s`'s queue in order, after `first` (a delivery still running) settles. */
  private async drain(s: Subscription, first?: void | Promise<void>): Promise<void> {
    s.draining = true;
    if (first !== undefined) {
      try {
        await first;
      } catch (error) {
        s.draining = false;
        this.fail(s, error);
        return;
      }
    }
    const batch = s.consumer.batch;
    /** An event shifted while filling a batch that the batch does not take: it goes next. */
    let carried: HmEvent | undefined;
    for (let event = s.queue.shift(); event !== undefined; event = carried ?? s.queue.shift()) {
      carried = undefined;
      try {
        let pending: void | Promise<void>;
        if (batch?.accepts(event)) {
          const events = [event];
          while (events.length < batch.max) {
            const next = s.queue.shift();
            if (next === undefined) break;
            if (!batch.accepts(next)) {
              carried = next;
              break;
            }
            events.push(next);
          }
          pending = batch.deliver(events);
        } else pending = s.consumer.deliver(event);
        if (pending !== undefined) await pending;
      } catch (error) {
        s.draining = false;
        this.fail(s, error);
        return;
      }
    }
    s.draining = false;
    if (s.idle.length > 0) for (const resolve of s.idle.splice(0)) resolve();
  }
}
