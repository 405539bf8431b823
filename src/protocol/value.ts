/**
 * `Value`, the dynamic JSON-like value that carries schemas and plugin
 * arguments across borsh. In JS it is plain JSON data. Two wire forms have
 * no JS counterpart and are normalised on decode, as JSON would: a `Float`
 * holding a safe integer (e.g. 1.0) decodes to a number that re-encodes as
 * `Int`, and `Some(Null)` in an `Option<Value>` decodes to null = None.
 */
import { type Codec, MAX_DEPTH, readSortedMap, writeSortedMap } from "./codec.ts";
import { describe, fault, under } from "./errors.ts";
import { decodeMessage, encodeMessage } from "./message.ts";
import type { Reader } from "./reader.ts";
import type { Writer } from "./writer.ts";

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

const NULL = 0;
const BOOL = 1;
const INT = 2;
const FLOAT = 3;
const STR = 4;
const ARRAY = 5;
const OBJECT = 6;

function enter(r: Reader, at: number): void {
  if (++r.depth > MAX_DEPTH) r.fail(`Value nested deeper than ${MAX_DEPTH} levels`, at);
}

function readValue(r: Reader): Value {
  const at = r.pos;
  switch (r.variant("Value", 7)) {
    case NULL:
      return null;
    case BOOL:
      return r.bool();
    case INT:
      return r.safeI64("Value.Int");
    case FLOAT:
      return r.f64("Value.Float");
    case STR:
      return r.string();
    case ARRAY: {
      enter(r, at);
      const n = r.count("Value.Array", 1);
      const out: Value[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(r));
      r.depth--;
      return out;
    }
    default: {
      enter(r, at);
      const out = readSortedMap(r, "Value.Object", nested);
      r.depth--;
      return out;
    }
  }
}

function writeValue(w: Writer, v: unknown): void {
  if (v === null) w.u8(NULL);
  else if (typeof v === "boolean") {
    w.u8(BOOL);
    w.u8(v ? 1 : 0);
  } else if (typeof v === "number") {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
      w.u8(INT);
      w.i64(v);
    } else {
      if (!Number.isFinite(v)) fault(`a Value number must be finite, got ${v}`);
      w.u8(FLOAT);
      w.f64(v);
    }
  } else if (typeof v === "string") {
    w.u8(STR);
    w.string(v);
  } else if (Array.isArray(v) || typeof v === "object") {
    if (++w.depth > MAX_DEPTH) fault(`Value nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(v)) writeArray(w, v);
    else {
      w.u8(OBJECT);
      writeSortedMap(w, v, nested);
    }
    w.depth--;
  } else {
    fault(`${describe(v)} is not a Value (expected null, boolean, number, string, array or plain object)`);
  }
}

function writeArray(w: Writer, items: unknown[]): void {
  w.u8(ARRAY);
  w.u32(items.length);
  let i = 0;
  try {
    for (; i < items.length; i++) writeValue(w, items[i]);
  } catch (e) {
    throw under(e, `[${i}]`);
  }
}

/** Values inside arrays and objects, where undefined is refused (JSON would silently drop it). */
const nested: Codec<Value> = { minSize: 1, read: readValue, write: writeValue };

/** A missing Value field encodes as Null (Value includes null, so the type lets it be left out). */
export const value: Codec<Value> = {
  minSize: 1,
  read: readValue,
  write: (w, v) => (v === undefined ? w.u8(NULL) : writeValue(w, v)),
};

export function encodeValue(v: Value): Uint8Array {
  return encodeMessage("Value", value, v);
}

export function decodeValue(bytes: Uint8Array): Value {
  return decodeMessage("Value", value, bytes);
}
