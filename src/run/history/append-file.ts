/**
 * A file written by appends held in memory and written out in one call when
 * asked: a log line costs its UTF-8 encoding into a buffer, not a system
 * call. Created 0600 on the first write (a step that prints nothing gets no
 * file).
 *
 * Writes are synchronous, like the event bus's spill files: a step printing
 * flat out floods the main thread with worker messages, and an asynchronous
 * write's completion then waited behind them for seconds while the lines it
 * should have written piled up in memory (measured: 13 s for the first one).
 * One write of a megabyte takes about a millisecond.
 */
import { closeSync, openSync, writeSync } from "node:fs";

/** The most a buffer grows to; past it, appends write out what is held first. */
const MAX_HELD = 1 << 20;

export class AppendFile {
  private buffer = Buffer.allocUnsafe(4096);
  private used = 0;
  private fd: number | null = null;

  constructor(readonly path: string) {}

  /** Bytes held, not yet written. */
  get held(): number {
    return this.used;
  }

  /** Returns the bytes it added. */
  append(text: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const room = text.length * 3;
    if (this.used + room > this.buffer.length) this.makeRoom(room);
    const added = this.buffer.write(text, this.used);
    this.used += added;
    return added;
  }

  /** Writes out what is held; throws what the file system says (the recorder stops then). */
  flush(): void {
    if (this.used === 0) return;
    this.fd ??= openSync(this.path, "a", 0o600);
    for (let at = 0; at < this.used; ) at += writeSync(this.fd, this.buffer, at, this.used - at);
    this.used = 0;
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private makeRoom(room: number): void {
    if (this.used + room <= MAX_HELD) {
      const grown = Buffer.allocUnsafe(
        Math.min(MAX_HELD, Math.max(this.buffer.length * 2, this.used + room)),
      );
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
      return;
    }
    this.flush();
    if (room > this.buffer.length) this.buffer = Buffer.allocUnsafe(room);
  }
}
