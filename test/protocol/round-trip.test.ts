/**
 * Every message type survives encode → decode unchanged, and decoding gives
 * the documented JS shapes (null for None, bigint for u64, lowercase UUIDs).
 */
import { describe, expect, test } from "bun:test";
import {
  decodeExecutorInput,
  decodePluginManifest,
  decodeValue,
  encodeExecutorInput,
  encodePluginManifest,
  encodeStepResult,
  encodeValue,
  type Value,
} from "../../src/protocol/index.ts";
import { cases, deepValue, executorInputs, fromHex, hex, RUN_ID, TRICKY_KEYS } from "./samples.ts";

describe("round trips", () => {
  for (const c of cases) {
    test(`${c.name}: every sample decodes to itself and re-encodes to the same bytes`, () => {
      for (const sample of c.samples) {
        const bytes = c.encode(sample);
        const back = c.decode(bytes);
        expect(back).toEqual(sample);
        expect(c.encode(back)).toEqual(bytes);
      }
    });
  }

  test("-0 stays a Float -0, and safe integers stay integers", () => {
    expect(Object.is(decodeValue(encodeValue(-0)), -0)).toBe(true);
    expect(decodeValue(encodeValue(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeValue(encodeValue(2 ** 53))).toBe(2 ** 53);
  });

  test("map keys come back in UTF-8 byte order, as Rust's BTreeMap iterates them", () => {
    const env = Object.fromEntries(TRICKY_KEYS.map((k) => [k, k]));
    const input = { ...(executorInputs[1] as (typeof executorInputs)[number]), env };
    expect(Object.keys(decodeExecutorInput(encodeExecutorInput(input)).env)).toEqual([
      "Z",
      "z",
      "é",
      "\uffff",
      "😀",
    ]);
    expect(Object.keys(decodeValue(encodeValue(env)) as object)).toEqual(["Z", "z", "é", "\uffff", "😀"]);
  });

  test("an own __proto__ key is data, not a prototype, after decoding", () => {
    const v = JSON.parse('{"__proto__": {"polluted": true}}');
    const back = decodeValue(encodeValue(v)) as Record<string, unknown>;
    expect(Object.hasOwn(back, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("a Value nested 128 levels deep round-trips", () => {
    expect(decodeValue(encodeValue(deepValue(128)))).toEqual(deepValue(128));
  });

  test("encoders also accept undefined or missing optional fields, uppercase UUIDs and numbers for u64", () => {
    const full = executorInputs[1] as (typeof executorInputs)[number];
    const loose = {
      ...full,
      run_id: full.run_id.toUpperCase(),
      step: { key: "k", cmd: "true", label: undefined },
      parent_snapshot: undefined,
    };
    const decoded = decodeExecutorInput(encodeExecutorInput(loose));
    expect(decoded.step).toEqual({
      key: "k",
      label: null,
      cmd: "true",
      builds_in: null,
      image: null,
      env: null,
      timeout_seconds: null,
      cache: null,
      runner: null,
      runner_args: null,
    });
    expect(decoded.run_id).toBe(full.run_id);
    expect(decoded.parent_snapshot).toBeNull();
    expect(encodeStepResult({ exit_code: 0, artifacts: [{ key: "a", mime: "b", size_bytes: 5 }] })).toEqual(
      encodeStepResult({
        exit_code: 0,
        committed_snapshot: null,
        artifacts: [{ key: "a", mime: "b", size_bytes: 5n }],
      }),
    );
    expect(RUN_ID).toBe(RUN_ID.toLowerCase());
  });
});

describe("Value's two normalisations (JS has no way to tell these apart)", () => {
  test("a Float holding a whole number decodes to a number that re-encodes as Int", () => {
    const float1 = fromHex("03 000000000000f03f");
    expect(decodeValue(float1)).toBe(1);
    expect(hex(encodeValue(decodeValue(float1)))).toBe("020100000000000000");
  });

  test("Some(Null) in an Option<Value> decodes to null and re-encodes as None", () => {
    const none = encodeStepExecutor(null);
    const someNull = new Uint8Array([...none.subarray(0, -2), 1, 0, 0]); // step_schema Some(Null), config_schema None
    const decoded = decodePluginManifest(someNull);
    expect(decoded.capabilities[0]).toMatchObject({ step_schema: null });
    expect(encodePluginManifest(decoded)).toEqual(none);
  });
});

function encodeStepExecutor(step_schema: Value | null): Uint8Array {
  return encodePluginManifest({
    api_version: 2,
    name: "p",
    version: "0.1.0",
    description: "",
    capabilities: [{ kind: "step_executor", runner: "r", default: true, step_schema }],
    config_schema: null,
  });
}
