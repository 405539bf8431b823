/**
 * Schema combinators: each message is declared once as a tree of codecs
 * (struct fields in wire order, enum variants in index order), and that
 * one declaration both reads and writes it. Reads are strict (see
 * `Reader`); writes check every value's type and range and report the
 * field path of the first bad one.
 */
import { describe, fault, under } from "./errors.ts";
import type { Reader } from "./reader.ts";
import { compareUtf8 } from "./utf8.ts";
import type { Writer } from "./writer.ts";

export interface Codec<T> {
  /** Fewest bytes any value takes on the wire; bounds list lengths before looping. */
  readonly minSize: number;
  read(r: Reader): T;
  /** Takes `unknown`: encoders are the edge where JS values get checked. */
  write(w: Writer, value: unknown): void;
}

type Fields = Record<string, Codec<unknown>>;
type Decoded<F extends Fields> = { -readonly [K in keyof F]: F[K] extends Codec<infer T> ? T : never };
type Tagged<V extends Record<string, Fields>> = {
  [K in keyof V & string]: { kind: K } & Decoded<V[K]>;
}[keyof V & string];

/** Deeper nesting of recursive types (Value, SubcommandSpec) is refused both ways. */
export const MAX_DEPTH = 128;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects that are plain maps, not class instances such as `Map` or `Date`, which would encode as `{}`. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets an own property even when the key is `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else target[key] = value;
}

/** Option<T>: decodes None as null; encodes both null and undefined as None. */
export function option<T>(inner: Codec<T>): Codec<T | null> {
  return {
    minSize: 1,
    read: (r) => (r.some() ? inner.read(r) : null),
    write(w, v) {
      if (v === null || v === undefined) return w.u8(0);
      w.u8(1);
      inner.write(w, v);
    },
  };
}

export function vec<T>(item: Codec<T>, what = "list"): Codec<T[]> {
  return {
    minSize: 4,
    read(r) {
      const n = r.count(what, item.minSize);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(item.read(r));
      return out;
    },
    write(w, v) {
      if (!Array.isArray(v)) fault(`expected an array, got ${describe(v)}`);
      w.u32(v.length);
      let i = 0;
      try {
        for (; i < v.length; i++) item.write(w, v[i]);
      } catch (e) {
        throw under(e, `[${i}]`);
      }
    },
  };
}

/** Reads a map's entries, refusing keys that are not in strictly ascending UTF-8 order. */
export function readSortedMap<T>(r: Reader, what: string, value: Codec<T>): Record<string, T> {
  const n = r.count(what, 4 + value.minSize);
  const out: Record<string, T> = {};
  let previous = "";
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const key = r.string();
    if (i > 0 && compareUtf8(previous, key) >= 0) {
      r.fail(
        `${what} key ${describe(key)} is not after ${describe(previous)} (keys must be sorted and unique)`,
        at,
      );
    }
    previous = key;
    setOwn(out, key, value.read(r));
  }
  return out;
}

/** Writes a plain object's own entries sorted by key in UTF-8 byte order, as Rust's BTreeMap does. */
export function writeSortedMap(w: Writer, map: unknown, value: Codec<unknown>): void {
  if (!isPlainObject(map)) fault(`expected a plain object, got ${describe(map)}`);
  const keys = Object.keys(map).sort(compareUtf8);
  w.u32(keys.length);
  let key = "";
  try {
    for (key of keys) {
      w.string(key);
      value.write(w, map[key]);
    }
  } catch (e) {
    throw under(e, `[${JSON.stringify(key)}]`);
  }
}

/** BTreeMap<String, V> as a plain object. */
export function sortedMap<T>(value: Codec<T>, what = "map"): Codec<Record<string, T>> {
  return {
    minSize: 4,
    read: (r) => readSortedMap(r, what, value),
    write: (w, v) => writeSortedMap(w, v, value),
  };
}

function fieldsCodec(fields: Fields): {
  minSize: number;
  read(r: Reader, into: Record<string, unknown>): void;
  write(w: Writer, v: Record<string, unknown>): void;
} {
  const names = Object.keys(fields);
  const codecs = names.map((n) => fields[n] as Codec<unknown>);
  return {
    minSize: codecs.reduce((sum, c) => sum + c.minSize, 0),
    read(r, into) {
      for (let i = 0; i < names.length; i++) into[names[i] as string] = (codecs[i] as Codec<unknown>).read(r);
    },
    write(w, v) {
      let i = 0;
      try {
        for (; i < names.length; i++) (codecs[i] as Codec<unknown>).write(w, v[names[i] as string]);
      } catch (e) {
        throw under(e, names[i] as string);
      }
    },
  };
}

/** A struct: its fields in declaration (= wire) order. Other keys on the value are ignored (an IR step's `type`, say). */
export function struct<F extends Fields>(fields: F): Codec<Decoded<F>> {
  const body = fieldsCodec(fields);
  return {
    minSize: body.minSize,
    read(r) {
      const out: Record<string, unknown> = {};
      body.read(r, out);
      return out as Decoded<F>;
    },
    write(w, v) {
      if (!isObject(v)) fault(`expected an object, got ${describe(v)}`);
      body.write(w, v);
    },
  };
}

/** An enum with payloads, as objects tagged with `kind` and the payload's fields flattened beside it. */
export function tagged<V extends Record<string, Fields>>(name: string, variants: V): Codec<Tagged<V>> {
  const kinds = Object.keys(variants);
  const bodies = kinds.map((k) => fieldsCodec(variants[k] as Fields));
  const index = new Map(kinds.map((k, i) => [k, i]));
  return {
    minSize: 1 + Math.min(...bodies.map((b) => b.minSize)),
    read(r) {
      const tag = r.variant(name, kinds.length);
      const out: Record<string, unknown> = { kind: kinds[tag] };
      (bodies[tag] as (typeof bodies)[number]).read(r, out);
      return out as Tagged<V>;
    },
    write(w, v) {
      if (!isObject(v)) fault(`expected a ${name} object, got ${describe(v)}`);
      const tag = typeof v.kind === "string" ? index.get(v.kind) : undefined;
      if (tag === undefined) fault(`unknown ${name} kind ${describe(v.kind)} (expected ${kinds.join(", ")})`);
      w.u8(tag);
      (bodies[tag] as (typeof bodies)[number]).write(w, v);
    },
  };
}

/** A fieldless enum, as its snake_case names. */
export function unitEnum<const K extends string>(name: string, kinds: readonly K[]): Codec<K> {
  const index = new Map<unknown, number>(kinds.map((k, i) => [k, i]));
  return {
    minSize: 1,
    read: (r) => kinds[r.variant(name, kinds.length)] as K,
    write(w, v) {
      const tag = index.get(v);
      if (tag === undefined) fault(`expected a ${name} (${kinds.join(", ")}), got ${describe(v)}`);
      w.u8(tag);
    },
  };
}

/** A self-referencing codec, with the nesting limited to MAX_DEPTH both ways. */
export function recursive<T>(name: string, define: (self: Codec<T>) => Codec<T>): Codec<T> {
  let inner: Codec<T> | undefined;
  const self = {
    minSize: 0,
    read(r: Reader): T {
      if (++r.depth > MAX_DEPTH) r.fail(`${name} nested deeper than ${MAX_DEPTH} levels`);
      const value = (inner as Codec<T>).read(r);
      r.depth--;
      return value;
    },
    write(w: Writer, value: unknown): void {
      if (++w.depth > MAX_DEPTH) fault(`${name} nested deeper than ${MAX_DEPTH} levels`);
      (inner as Codec<T>).write(w, value);
      w.depth--;
    },
  };
  inner = define(self);
  self.minSize = inner.minSize;
  return self;
}
