/**
 * A FIFO of build events for one slow consumer (`docs/design.md`, "Hooks"): up to
 * `memoryLimit` events wait in memory; past that, newer events are appended
 * to a spill file as JSON lines and read back in order once the consumer has
 * caught up. Nothing is dropped and `push` never blocks. While the file holds
 * events, every new event goes to the file too, so order is kept.
 *
 * The spill file is created lazily in `spillDir`, owned by the queue, and
 * removed by `dispose()`.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { HmEvent } from "./events.ts";

const READ_CHUNK = 1 << 20;

export class SpillQueue {
  private memory: HmEvent[] = [];
  private head = 0;
  private spill: { path: string; fd: number; written: number; read: number; pending: number } | null = null;
  /** Spilled lines not yet written: one write per 64 KiB, not one per event. */
  private unwritten: string[] = [];
  private unwrittenLength = 0;
  private readBuffer = "";
  private readOffset = 0;
  private readonly decoder = new StringDecoder("utf8");
  /** The most events that waited at once, and how many went through the file: for benchmarks. */
  readonly stats = { peakQueued: 0, spilled: 0 };

  constructor(
    private readonly memoryLimit: number,
    private readonly spillDir: string,
  ) {}

  get size(): number {
    return this.memory.length - this.head + (this.spill?.pending ?? 0);
  }

  push(event: HmEvent): void {
    if (this.spill === null && this.memory.length - this.head < this.memoryLimit) {
      this.memory.push(event);
    } else {
      this.spillOne(event);
    }
    const size = this.size;
    if (size > this.stats.peakQueued) this.stats.peakQueued = size;
  }

  /** The oldest event, or undefined when empty. */
  shift(): HmEvent | undefined {
    if (this.head < this.memory.length) {
      const event = this.memory[this.head++];
      if (this.head > 4096 && this.head * 2 > this.memory.length) this.compact();
      return event;
    }
    if (this.spill !== null && this.spill.pending > 0) return this.unspillOne();
    return undefined;
  }

  dispose(): void {
    if (this.spill === null) return;
    closeSync(this.spill.fd);
    this.unwritten = [];
    this.unwrittenLength = 0;
    this.readBuffer = "";
    this.readOffset = 0;
    rmSync(this.spill.path, { force: true });
    this.spill = null;
  }

  private compact(): void {
    this.memory = this.memory.slice(this.head);
    this.head = 0;
  }

  private spillOne(event: HmEvent): void {
    if (this.spill === null) {
      const path = join(this.spillDir, `events-${crypto.randomUUID()}.jsonl`);
      this.spill = { path, fd: openSync(path, "w+", 0o600), written: 0, read: 0, pending: 0 };
    }
    const line = `${JSON.stringify(event)}\n`;
    this.unwritten.push(line);
    this.unwrittenLength += line.length;
    if (this.unwrittenLength >= 1 << 16) this.flush();
    this.spill.pending++;
    this.stats.spilled++;
  }

  private flush(): void {
    const spill = this.spill;
    if (spill === null || this.unwritten.length === 0) return;
    const bytes = Buffer.from(this.unwritten.join(""));
    writeSync(spill.fd, bytes, 0, bytes.length, spill.written);
    spill.written += bytes.length;
    this.unwritten = [];
    this.unwrittenLength = 0;
  }

  private unspillOne(): HmEvent {
    const spill = this.spill as NonNullable<typeof this.spill>;
    let newline = this.readBuffer.indexOf("\n", this.readOffset);
    while (newline < 0) {
      if (spill.read === spill.written) this.flush();
      const chunk = Buffer.alloc(Math.min(READ_CHUNK, spill.written - spill.read));
      const n = readSync(spill.fd, chunk, 0, chunk.length, spill.read);
      spill.read += n;
      // A character split between two reads is completed by the decoder.
      this.readBuffer = this.readBuffer.slice(this.readOffset) + this.decoder.write(chunk.subarray(0, n));
      this.readOffset = 0;
      newline = this.readBuffer.indexOf("\n");
    }
    const event = JSON.parse(this.readBuffer.slice(this.readOffset, newline)) as HmEvent;
    this.readOffset = newline + 1;
    spill.pending--;
    // Caught up: the file is done with; memory takes over again.
    if (spill.pending === 0) this.dispose();
    return event;
  }
}
