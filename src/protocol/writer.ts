/**
 * A growable output buffer with the borsh primitives. It trusts its
 * callers on ranges (the codecs check values first) except for strings,
 * where it refuses lone surrogates: TextEncoder would silently turn them
 * into U+FFFD.
 */
import { fault } from "./errors.ts";

const utf8 = new TextEncoder();
const SHORT_STRING = 64;

export class Writer {
  /** Current nesting of recursive types, for depth limits. */
  depth = 0;
  private buf = new Uint8Array(512);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  /** Starts a new message, keeping the buffer. */
  reset(): void {
    this.pos = 0;
    this.depth = 0;
  }

  get capacity(): number {
    return this.buf.length;
  }

  /** A copy of the bytes written so far. */
  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  u64(v: bigint): void {
    this.room(8);
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }

  /** An i64 from a safe integer, without going through BigInt. */
  i64(v: number): void {
    this.room(8);
    const lo = ((v % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
    this.view.setUint32(this.pos, lo, true);
    this.view.setInt32(this.pos + 4, (v - lo) / 0x1_0000_0000, true);
    this.pos += 8;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** u32 byte length + UTF-8. */
  string(s: string): void {
    const n = s.length;
    this.room(4 + n * 3);
    const start = this.pos + 4;
    let len = 0;
    if (n <= SHORT_STRING) {
      const buf = this.buf;
      for (; len < n; len++) {
        const c = s.charCodeAt(len);
        if (c >= 0x80) break;
        buf[start + len] = c;
      }
    }
    if (len < n) {
      if (!s.isWellFormed()) fault(`string contains a lone surrogate (${loneSurrogate(s)})`);
      len = utf8.encodeInto(s, this.buf.subarray(start)).written;
    }
    this.view.setUint32(this.pos, len, true);
    this.pos = start + len;
  }
}

function loneSurrogate(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) return `U+${c.toString(16).toUpperCase()} at index ${i}`;
  }
  return "none found";
}
