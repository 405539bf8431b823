/**
 * The custom encodings of hm-plugin-protocol's `borsh_helpers` (`docs/plugin-abi.md`
 * §7) plus UUIDs: values whose JS form is not their wire form.
 */
import type { Codec } from "./codec.ts";
import { describe, fault } from "./errors.ts";
import { checkedString } from "./primitives.ts";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** The 16 bytes of a hyphenated UUID (either case), or null if `s` is not one. */
export function parseUuid(s: string): Uint8Array | null {
  if (s.length !== 36) return null;
  const out = new Uint8Array(16);
  let j = 0;
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (s.charCodeAt(i) !== 45) return null;
      continue;
    }
    const hi = nibble(s.charCodeAt(i));
    const lo = nibble(s.charCodeAt(++i));
    if (hi < 0 || lo < 0) return null;
    out[j++] = (hi << 4) | lo;
  }
  return out;
}

/** Lowercase hyphenated form of 16 bytes starting at `at`. */
export function formatUuid(bytes: Uint8Array, at = 0): string {
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += HEX[bytes[at + i] as number];
  }
  return s;
}

/** UUID: 16 raw bytes; a lowercase hyphenated string in JS. */
export const uuid: Codec<string> = {
  minSize: 16,
  read: (r) => formatUuid(r.bytes, r.take(16)),
  write(w, v) {
    const bytes = typeof v === "string" ? parseUuid(v) : null;
    if (bytes === null) fault(`expected a hyphenated UUID string, got ${describe(v)}`);
    w.bytes(bytes);
  },
};

/** JS Date's range; chrono's is a little narrower at both ends, but nothing real gets near either. */
const MAX_TIME_MS = 8.64e15;

/** `DateTime<Utc>` as i64 milliseconds since the epoch; a number of milliseconds in JS. */
export const timestamp: Codec<number> = {
  minSize: 8,
  read(r) {
    const at = r.pos;
    const ms = r.safeI64("timestamp");
    if (Math.abs(ms) > MAX_TIME_MS) r.fail(`timestamp ${ms} ms is outside the representable date range`, at);
    return ms;
  },
  write(w, v) {
    if (typeof v !== "number" || !Number.isInteger(v) || Math.abs(v) > MAX_TIME_MS) {
      fault(`expected a timestamp (integer milliseconds since the epoch), got ${describe(v)}`);
    }
    w.i64(v);
  },
};

function isScalarValue(cp: number): boolean {
  return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
}

/** Rust `char`: a u32 Unicode scalar value; a one-code-point string in JS. */
export const char: Codec<string> = {
  minSize: 4,
  read(r) {
    const at = r.pos;
    const cp = r.u32();
    if (!isScalarValue(cp)) r.fail(`invalid char code point 0x${cp.toString(16)}`, at);
    return String.fromCodePoint(cp);
  },
  write(w, v) {
    const cp = typeof v === "string" ? v.codePointAt(0) : undefined;
    if (cp === undefined || !isScalarValue(cp) || String.fromCodePoint(cp) !== v) {
      fault(`expected a single character, got ${describe(v)}`);
    }
    w.u32(cp);
  },
};

const NUMERIC = /^(?:0|[1-9][0-9]*)$/;
const IDENTIFIER = /^[0-9A-Za-z-]+$/;
const U64_DIGITS = "18446744073709551615";

function fitsU64(digits: string): boolean {
  return digits.length < 20 || (digits.length === 20 && digits <= U64_DIGITS);
}

/**
 * Why `s` is not a SemVer 2.0.0 version, or null. Hand-written rather than
 * the semver.org regex, which backtracks quadratically on long inputs.
 */
function semverProblem(s: string): string | null {
  const plus = s.indexOf("+");
  const main = plus < 0 ? s : s.slice(0, plus);
  const dash = main.indexOf("-");
  const core = (dash < 0 ? main : main.slice(0, dash)).split(".");
  if (core.length !== 3) return "expected MAJOR.MINOR.PATCH";
  for (const n of core) {
    if (!NUMERIC.test(n)) return `'${n}' is not a number without leading zeros`;
    if (!fitsU64(n)) return `'${n}' does not fit in 64 bits`;
  }
  if (dash >= 0) {
    for (const id of main.slice(dash + 1).split(".")) {
      if (!IDENTIFIER.test(id))
        return `pre-release identifier '${id}' is empty or has characters outside [0-9A-Za-z-]`;
      if (/^[0-9]+$/.test(id) && !NUMERIC.test(id))
        return `pre-release identifier '${id}' has a leading zero`;
    }
  }
  if (plus >= 0) {
    for (const id of s.slice(plus + 1).split(".")) {
      if (!IDENTIFIER.test(id))
        return `build identifier '${id}' is empty or has characters outside [0-9A-Za-z-]`;
    }
  }
  return null;
}

/** `semver::Version` in its string form, checked both ways. */
export const semver: Codec<string> = checkedString("semver version", semverProblem);
