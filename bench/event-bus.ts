/**
 * The event bus under a slow consumer: 1 000 000 step_log events published
 * as fast as possible to one consumer that keeps up (like the JSON renderer
 * into a pipe) and one that waits 1 ms every 1 000 events (a slow hook).
 * Measures what the producer pays per event, the consumers' peak queue, how
 * much spilled to disk, the process's peak RSS and the time to drain.
 * Run: `bun bench/event-bus.ts [events]`; figures go to bench/results/event-bus.txt.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus } from "../src/run/event-bus.ts";

const COUNT = Number(process.argv[2] ?? 1_000_000);
const spillDir = mkdtempSync(join(tmpdir(), "hm-bench-bus-"));
const bus = new EventBus({ spillDir });
let fastSeen = 0;
let slowSeen = 0;
bus.subscribe({ name: "fast", deliver: () => void fastSeen++ });
bus.subscribe({
  name: "slow",
  deliver: async () => {
    if (++slowSeen % 1000 === 0) await Bun.sleep(1);
  },
});

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 10);
const line = "x".repeat(80);
const started = performance.now();
for (let i = 0; i < COUNT; i++) {
  bus.publish({
    kind: "step_log",
    step_id: "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    stream: "stdout",
    line,
    ts: i,
  });
  if (i % 50_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const publishMs = performance.now() - started;
await bus.drained();
const drainMs = performance.now() - started;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const stats = bus.stats();
bus.dispose();
rmSync(spillDir, { recursive: true, force: true });

const report = [
  `event bus, ${COUNT} step_log events (80-char lines), Bun ${Bun.version}, ${new Date().toISOString()}`,
  `producer: ${((publishMs * 1e6) / COUNT).toFixed(0)} ns per publish (${(COUNT / (publishMs / 1000) / 1e6).toFixed(2)} M events/s)`,
  `fast consumer: saw ${fastSeen}, peak queue ${stats.fast?.peakQueued}, spilled ${stats.fast?.spilled}`,
  `slow consumer: saw ${slowSeen}, peak queue ${stats.slow?.peakQueued}, spilled ${stats.slow?.spilled}`,
  `all consumers drained after ${drainMs.toFixed(0)} ms; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
].join("\n");
console.log(report);
mkdirSync(join(import.meta.dir, "results"), { recursive: true });
writeFileSync(join(import.meta.dir, "results", "event-bus.txt"), `${report}\n`);
