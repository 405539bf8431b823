/**
 * Reads a file a line at a time as it grows: each call returns the complete
 * lines appended since the last, in batches (a saved log may be gigabytes),
 * and keeps a line still being written for the next call. A file that does
 * not exist yet reads as empty.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

export class LineReader {
  private offset = 0;
  private rest: Buffer = Buffer.alloc(0);
  private readonly decoder = new TextDecoder();

  constructor(readonly path: string) {}

  *batches(): Generator<string[]> {
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      while (this.offset < size) {
        const chunk = Buffer.alloc(Math.min(CHUNK, size - this.offset));
        const read = readSync(fd, chunk, 0, chunk.length, this.offset);
        if (read === 0) break;
        this.offset += read;
        const bytes =
          this.rest.length > 0
            ? Buffer.concat([this.rest, chunk.subarray(0, read)])
            : chunk.subarray(0, read);
        const end = bytes.lastIndexOf(NEWLINE);
        if (end < 0) {
          this.rest = Buffer.from(bytes);
          continue;
        }
        this.rest = Buffer.from(bytes.subarray(end + 1));
        yield this.decoder.decode(bytes.subarray(0, end)).split("\n");
      }
    } finally {
      closeSync(fd);
    }
  }

  /** What follows the last newline: a line cut short when its writer was killed. */
  unterminated(): string {
    return this.decoder.decode(this.rest);
  }
}

/** The lines of a growing file one at a time; null when none is complete yet. */
export class LineQueue {
  private readonly reader: LineReader;
  private lines: string[] = [];
  private head = 0;

  constructor(path: string) {
    this.reader = new LineReader(path);
  }

  next(): string | null {
    if (this.head === this.lines.length) {
      const batches = this.reader.batches();
      const first = batches.next();
      batches.return(undefined); // closes the file; the rest is read on a later call
      if (first.done === true) return null;
      this.lines = first.value;
      this.head = 0;
    }
    return this.lines[this.head++] ?? null;
  }
}
