/**
 * Bytes of one output stream → lines, without loss: a line ends at `\n`
 * (a `\r` before it is dropped); a partial line waits for more bytes and is
 * flushed at the end; a line longer than `maxLineBytes` is emitted in pieces;
 * invalid UTF-8 becomes U+FFFD (a character split between two chunks is not
 * invalid: the decoder carries it over).
 */
export class LineSplitter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLineBytes = 1 << 20,
  ) {}

  push(chunk: Uint8Array): void {
    let start = 0;
    if (this.pendingBytes > 0) {
      // The line the last chunk left unfinished ends here (chunks split lines anywhere: on the
      // docker path almost every chunk starts inside one); the whole lines after it go in one go.
      const first = chunk.indexOf(10);
      if (first < 0) {
        this.append(chunk);
        return;
      }
      this.append(chunk.subarray(0, first));
      this.emitPending(true);
      start = first + 1;
    }
    const rest = start === 0 ? chunk : chunk.subarray(start);
    start += this.emitWholeLines(rest);
    for (let i = chunk.indexOf(10, start); i >= 0; i = chunk.indexOf(10, start)) {
      this.append(chunk.subarray(start, i));
      this.emitPending(true);
      start = i + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  /**
   * The lines that end inside `chunk` when nothing is pending, decoded in one go (a `\n` is never
   * part of a UTF-8 sequence, so this gives what line-by-line decoding gives, U+FFFD included,
   * and a character a long line's last piece cut is still carried by the decoder); only when none
   * of them can be longer than a piece. Returns where the unfinished rest starts.
   */
  private emitWholeLines(chunk: Uint8Array): number {
    const last = chunk.lastIndexOf(10);
    if (last < 0 || last > this.maxLineBytes) return 0;
    const lines = this.decoder.decode(chunk.subarray(0, last)).split("\n");
    for (const line of lines) this.emit(line.endsWith("\r") ? line.slice(0, -1) : line);
    return last + 1;
  }

  /** The last line, if it had no newline. */
  end(): void {
    if (this.pendingBytes > 0) this.emitPending(true);
  }

  private append(bytes: Uint8Array): void {
    let rest = bytes;
    while (this.pendingBytes + rest.length > this.maxLineBytes) {
      const room = this.maxLineBytes - this.pendingBytes;
      this.pending.push(rest.subarray(0, room));
      this.pendingBytes += room;
      this.emitPending(false);
      rest = rest.subarray(room);
    }
    if (rest.length > 0) {
      this.pending.push(rest);
      this.pendingBytes += rest.length;
    }
  }

  private emitPending(lineEnds: boolean): void {
    const bytes =
      this.pending.length === 1 ? (this.pending[0] as Uint8Array) : concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let text = this.decoder.decode(bytes, { stream: !lineEnds });
    if (lineEnds && text.endsWith("\r")) text = text.slice(0, -1);
    this.emit(text);
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
