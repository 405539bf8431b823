/**
 * A strict cursor over one borsh message. Every read is bounds-checked and
 * every failure is a `DecodeError` naming the message type and the byte
 * offset; length prefixes are checked against the bytes left before
 * anything is allocated or looped over, so no input can make decoding hang
 * or allocate more than the input's size.
 */
import { DecodeError } from "./errors.ts";
import { invalidUtf8Offset } from "./utf8.ts";

// ignoreBOM: without it a leading U+FEFF is silently dropped and the string would not round-trip.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const SHORT_STRING = 24;

export class Reader {
  readonly bytes: Uint8Array;
  readonly messageType: string;
  /** Offset of the next unread byte. */
  pos = 0;
  /** Current nesting of recursive types, for depth limits. */
  depth = 0;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, messageType: string) {
    this.bytes = bytes;
    this.messageType = messageType;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(reason: string, offset = this.pos): never {
    throw new DecodeError(this.messageType, offset, reason);
  }

  /** Claims the next `n` bytes and returns their offset. */
  take(n: number): number {
    const at = this.pos;
    const left = this.bytes.length - at;
    if (n > left) this.fail(`unexpected end of input (needed ${n} bytes, ${left} left)`);
    this.pos = at + n;
    return at;
  }

  u8(): number {
    return this.bytes[this.take(1)] as number;
  }

  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  i32(): number {
    return this.view.getInt32(this.take(4), true);
  }

  u64(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }

  /** An i64 as a number; values outside the safe-integer range are refused, not rounded. */
  safeI64(what: string): number {
    const at = this.take(8);
    const value = this.view.getInt32(at + 4, true) * 0x1_0000_0000 + this.view.getUint32(at, true);
    if (!Number.isSafeInteger(value)) {
      this.fail(`${what} ${this.view.getBigInt64(at, true)} is outside the safe integer range`, at);
    }
    return value;
  }

  /** A finite f64 (borsh refuses NaN; we also refuse ±Infinity, which no JS encoder emits). */
  f64(what: string): number {
    const at = this.take(8);
    const value = this.view.getFloat64(at, true);
    if (!Number.isFinite(value)) this.fail(`${what} is not a finite number (${value})`, at);
    return value;
  }

  bool(): boolean {
    const at = this.take(1);
    const b = this.bytes[at] as number;
    if (b > 1) this.fail(`invalid bool byte ${b}`, at);
    return b === 1;
  }

  /** An enum's variant index, checked against its variant count. */
  variant(enumName: string, count: number): number {
    const at = this.take(1);
    const tag = this.bytes[at] as number;
    if (tag >= count) this.fail(`unknown ${enumName} variant ${tag}`, at);
    return tag;
  }

  /** An Option tag: true for Some. */
  some(): boolean {
    const at = this.take(1);
    const tag = this.bytes[at] as number;
    if (tag > 1) this.fail(`invalid Option tag ${tag}`, at);
    return tag === 1;
  }

  /** A u32 item count whose items need at least `itemSize` bytes each, checked against the bytes left. */
  count(what: string, itemSize: number): number {
    const at = this.pos;
    const n = this.u32();
    const left = this.bytes.length - this.pos;
    if (n * Math.max(itemSize, 1) > left) {
      this.fail(`${what} claims ${n} items but only ${left} bytes are left`, at);
    }
    return n;
  }

  string(): string {
    const at = this.pos;
    const len = this.u32();
    const start = this.pos;
    const left = this.bytes.length - start;
    if (len > left) this.fail(`string length ${len} exceeds the ${left} bytes left`, at);
    this.pos = start + len;
    const bytes = this.bytes;
    if (len <= SHORT_STRING) {
      let s = "";
      let i = start;
      for (; i < start + len; i++) {
        const b = bytes[i] as number;
        if (b >= 0x80) break;
        s += String.fromCharCode(b);
      }
      if (i === start + len) return s;
    }
    try {
      return utf8.decode(bytes.subarray(start, start + len));
    } catch {
      return this.fail("invalid UTF-8 in string", invalidUtf8Offset(bytes, start, start + len));
    }
  }

  /** Ends the message: borsh values have one encoding, so leftover bytes are an error. */
  finish(): void {
    const left = this.bytes.length - this.pos;
    if (left > 0) this.fail(`${left} trailing byte${left === 1 ? "" : "s"} after the message`);
  }
}
