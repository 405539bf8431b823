/**
 * The event bus: every consumer sees every event in order; a slow consumer
 * spills to disk instead of losing events or holding up the producer; a gated
 * kind holds back the events behind it until its `before` hooks answer.
 */
import { afterAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { EventBus } from "../../src/run/event-bus.ts";
import type { HmEvent } from "../../src/run/events.ts";
import { tempDir } from "../helpers/hm.ts";

const dir = tempDir("hm-bus-");
afterAll(() => dir.cleanup());

const log = (i: number): HmEvent => ({
  kind: "step_log",
  step_id: "s",
  stream: "stdout",
  line: `line ${i} é`,
  ts: i,
});

test("a slow consumer gets every event in order; a fast one is not held back; the spill file is removed", async () => {
  const bus = new EventBus({ spillDir: dir.path, memoryLimit: 100 });
  const fast: number[] = [];
  const slow: number[] = [];
  bus.subscribe({ name: "fast", deliver: (e) => void fast.push(e.kind === "step_log" ? e.ts : -1) });
  bus.subscribe({
    name: "slow",
    deliver: async (e) => {
      if (e.kind === "step_log" && e.ts % 500 === 0) await Bun.sleep(1);
      slow.push(e.kind === "step_log" ? e.ts : -1);
    },
  });
  for (let i = 0; i < 20_000; i++) bus.publish(log(i));
  // The producer never waited for the slow consumer; the fast one already has everything.
  expect(fast.length).toBe(20_000);
  expect(slow.length).toBeLessThan(20_000);
  const stats = bus.stats();
  expect(stats.slow?.spilled).toBeGreaterThan(0);
  expect(readdirSync(dir.path).some((f) => f.startsWith("events-"))).toBe(true);
  await bus.drained();
  expect(slow).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  expect(readdirSync(dir.path).some((f) => f.startsWith("events-"))).toBe(false);
  bus.dispose();
});

test("events survive the spill file with their text intact", async () => {
  const bus = new EventBus({ spillDir: dir.path, memoryLimit: 2 });
  const seen: HmEvent[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  bus.subscribe({
    name: "blocked",
    deliver: async (e) => {
      await gate;
      seen.push(e);
    },
  });
  const sent = [log(1), { ...log(2), line: '日本語 🎉 \u0000 "quoted"' }, log(3), log(4), log(5)];
  for (const e of sent) bus.publish(e);
  release();
  await bus.drained();
  expect(seen).toEqual(sent);
});

test("a gated event holds back later events until its gate answers; other kinds pass through in order", async () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  const checked: string[] = [];
  const bus = new EventBus({
    spillDir: dir.path,
    gate: {
      kinds: new Set(["step_end"]),
      check: async (e) => {
        checked.push(e.kind);
        await opened;
      },
    },
  });
  const seen: string[] = [];
  bus.subscribe({ name: "r", deliver: (e) => void seen.push(e.kind) });
  bus.publish(log(1));
  bus.publish({ kind: "step_end", step_id: "s", exit_code: 0, duration_ms: 1, snapshot: null });
  bus.publish(log(2));
  await Bun.sleep(20);
  expect(seen).toEqual(["step_log"]);
  expect(checked).toEqual(["step_end"]);
  open();
  await bus.drained();
  expect(seen).toEqual(["step_log", "step_end", "step_log"]);
});

test("a consumer that throws is reported once and dropped; the others go on", async () => {
  const errors: string[] = [];
  const bus = new EventBus({
    spillDir: dir.path,
    onConsumerError: (name, message) => errors.push(`${name}: ${message}`),
  });
  const good: number[] = [];
  bus.subscribe({
    name: "bad",
    deliver: () => {
      throw new Error("boom");
    },
  });
  bus.subscribe({ name: "good", deliver: (e) => void good.push(e.kind === "step_log" ? e.ts : -1) });
  for (let i = 0; i < 3; i++) bus.publish(log(i));
  await bus.drained();
  expect(errors).toEqual(["bad: boom"]);
  expect(good).toEqual([0, 1, 2]);
});

test("a batching consumer gets the accepted events waiting in its queue together, in order, split by the others", async () => {
  const bus = new EventBus({ spillDir: dir.path, memoryLimit: 50 });
  const calls: string[][] = [];
  let release!: () => void;
  const blocked = new Promise<void>((r) => {
    release = r;
  });
  const name = (e: HmEvent) => (e.kind === "step_log" ? String(e.ts) : e.kind);
  bus.subscribe({
    name: "batching",
    deliver: async (e) => {
      calls.push([name(e)]);
      if (calls.length === 1) await blocked; // the rest queue up (and spill) behind the first
    },
    batch: {
      max: 40,
      accepts: (e) => e.kind === "step_log",
      deliver: (events) => void calls.push(events.map(name)),
    },
  });
  bus.publish({ kind: "build_end", exit_code: 0, duration_ms: 0 });
  for (let i = 0; i < 100; i++) bus.publish(log(i));
  bus.publish({ kind: "build_end", exit_code: 0, duration_ms: 1 });
  bus.publish(log(100));
  release();
  await bus.drained();
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => String(from + i));
  expect(calls).toEqual([["build_end"], range(0, 40), range(40, 80), range(80, 100), ["build_end"], ["100"]]);
  bus.dispose();
});

test("a consumer that wants some kinds gets those in order, and nothing else is queued for it", async () => {
  const bus = new EventBus({ spillDir: dir.path, memoryLimit: 100 });
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  bus.subscribe({
    name: "ends only",
    wants: (kind) => kind === "step_end",
    deliver: async (e) => {
      await gate; // a hook busy with its first event while the run's lines go by
      if (e.kind === "step_end") seen.push(`${e.step_id} ${e.exit_code}`);
    },
  });
  const end = (id: string, exit_code: number): HmEvent => ({
    kind: "step_end",
    step_id: id,
    exit_code,
    duration_ms: 1,
    snapshot: null,
  });
  bus.publish(end("a", 0));
  for (let i = 0; i < 20_000; i++) bus.publish(log(i));
  bus.publish(end("b", 1));
  // 20 000 lines went by a consumer stuck on its first event: none was queued (or spilled) for it.
  expect(bus.stats()["ends only"]).toEqual({ peakQueued: 1, spilled: 0 });
  release();
  await bus.drained();
  expect(seen).toEqual(["a 0", "b 1"]);
  bus.dispose();
});
