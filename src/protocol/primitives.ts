/**
 * Borsh's built-in scalars, each checked for type and range on encode:
 * plain JS numbers would otherwise wrap or truncate silently.
 */
import type { Codec } from "./codec.ts";
import { describe, fault } from "./errors.ts";

const U32_MAX = 0xffff_ffff;
const U64_MAX = 2n ** 64n - 1n;

export const u32: Codec<number> = {
  minSize: 4,
  read: (r) => r.u32(),
  write(w, v) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > U32_MAX) {
      fault(`expected a u32, got ${describe(v)}`);
    }
    w.u32(v);
  },
};

export const i32: Codec<number> = {
  minSize: 4,
  read: (r) => r.i32(),
  write(w, v) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < -0x8000_0000 || v > 0x7fff_ffff) {
      fault(`expected an i32, got ${describe(v)}`);
    }
    w.i32(v);
  },
};

/** u64 (and usize, which borsh writes as u64): a bigint, or a safe non-negative integer on encode. */
export const u64: Codec<bigint> = {
  minSize: 8,
  read: (r) => r.u64(),
  write(w, v) {
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return w.u64(BigInt(v));
    if (typeof v !== "bigint" || v < 0n || v > U64_MAX) fault(`expected a u64, got ${describe(v)}`);
    w.u64(v);
  },
};

export const bool: Codec<boolean> = {
  minSize: 1,
  read: (r) => r.bool(),
  write(w, v) {
    if (typeof v !== "boolean") fault(`expected a boolean, got ${describe(v)}`);
    w.u8(v ? 1 : 0);
  },
};

export const string: Codec<string> = {
  minSize: 4,
  read: (r) => r.string(),
  write(w, v) {
    if (typeof v !== "string") fault(`expected a string, got ${describe(v)}`);
    w.string(v);
  },
};

/** A string with a check that runs on both decode and encode. */
export function checkedString(what: string, problem: (s: string) => string | null): Codec<string> {
  return {
    minSize: 4,
    read(r) {
      const at = r.pos;
      const s = r.string();
      const bad = problem(s);
      if (bad !== null) r.fail(`invalid ${what} ${describe(s)}: ${bad}`, at);
      return s;
    },
    write(w, v) {
      if (typeof v !== "string") fault(`expected a ${what} string, got ${describe(v)}`);
      const bad = problem(v);
      if (bad !== null) fault(`invalid ${what} ${describe(v)}: ${bad}`);
      w.string(v);
    },
  };
}
