/**
 * Our codec against the `borsh` npm package: for every message type and
 * every sample, the bytes are identical to `borsh.serialize` with an
 * equivalent, independently written borsh-js schema.
 */
import { describe, expect, test } from "bun:test";
import { serialize } from "borsh";
import { schemas, toBorsh } from "./borsh-js.ts";
import { cases, deepValue, hex } from "./samples.ts";

describe("byte-compatible with borsh-js", () => {
  for (const c of cases) {
    test(`${c.name}: every sample encodes exactly as borsh.serialize does`, () => {
      for (const sample of c.samples) {
        const theirs = serialize(
          schemas[c.name],
          (toBorsh[c.name] as (v: unknown) => unknown)(sample),
          false,
        );
        expect(hex(c.encode(sample))).toBe(hex(theirs));
      }
    });
  }

  test("a Value nested 128 levels deep encodes exactly as borsh.serialize does", () => {
    const c = cases.find((x) => x.name === "Value");
    const deep = deepValue(128);
    const theirs = serialize(schemas.Value, (toBorsh.Value as (v: unknown) => unknown)(deep), false);
    expect(hex(c?.encode(deep) ?? new Uint8Array())).toBe(hex(theirs));
  });
});
