/**
 * Decoding is strict: anything but exactly one valid message is a
 * DecodeError naming the message type and the offset of the bad byte.
 */
import { describe, expect, test } from "bun:test";
import {
  DecodeError,
  decodeBuildEvent,
  decodeExecutorInput,
  decodePluginError,
  decodePluginManifest,
  decodeSubcommandInput,
  decodeValue,
  encodeBuildEvent,
  encodeExecutorInput,
  encodeExitInfo,
  encodePluginManifest,
  type PluginManifest,
  type SubcommandSpec,
} from "../../src/protocol/index.ts";
import { cases, executorInputs, fromHex, RUN_ID } from "./samples.ts";

/** Runs `decode` and returns the DecodeError it must throw. */
function decodeError(decode: () => unknown): DecodeError {
  try {
    decode();
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw new Error(`expected a DecodeError, got ${error}`);
  }
  throw new Error("expected a DecodeError, but decoding succeeded");
}

function expectDecodeError(decode: () => unknown, messageType: string, offset: number, reason: RegExp): void {
  const error = decodeError(decode);
  expect(error.messageType).toBe(messageType);
  expect(error.reason).toMatch(reason);
  expect(error.offset).toBe(offset);
  expect(error.message).toBe(`${messageType}: ${error.reason} at offset ${offset}`);
}

const manifestWith = (patch: Partial<PluginManifest>): Uint8Array =>
  encodePluginManifest({
    api_version: 2,
    name: "p",
    version: "1.0.0",
    description: "",
    capabilities: [{ kind: "step_executor", runner: "r", default: false, step_schema: null }],
    config_schema: null,
    ...patch,
  });
/** name "p" takes bytes 4..8, so the version's length prefix is at offset 9. */
const VERSION_AT = 9;

describe("strict decoding", () => {
  test("a trailing byte is refused at the offset where the message ended", () => {
    const bytes = encodeExitInfo({ exit_code: 7, message: null });
    expectDecodeError(
      () => cases.find((c) => c.name === "ExitInfo")?.decode(new Uint8Array([...bytes, 0])),
      "ExitInfo",
      5,
      /^1 trailing byte after the message$/,
    );
  });

  test("every truncation of every sample is a DecodeError at or before the cut", () => {
    for (const c of cases) {
      for (const sample of c.samples) {
        const bytes = c.encode(sample);
        for (let cut = 0; cut < bytes.length; cut++) {
          const error = decodeError(() => c.decode(bytes.subarray(0, cut)));
          expect(error.messageType).toBe(c.name);
          expect(error.offset).toBeGreaterThanOrEqual(0);
          expect(error.offset).toBeLessThanOrEqual(cut);
        }
      }
    }
  });

  test("an unknown enum variant names the enum, the tag and its offset", () => {
    const input = { ...(executorInputs[2] as (typeof executorInputs)[number]), parent_snapshot: null };
    const bytes = encodeExecutorInput(input);
    const at = bytes.length - 2; // cache_lookup's tag, then parent_snapshot's None
    bytes[at] = 7;
    expectDecodeError(
      () => decodeExecutorInput(bytes),
      "ExecutorInput",
      at,
      /^unknown CacheDecision variant 7$/,
    );
    bytes[at] = 3; // one past the last variant: borsh-js's off-by-one case
    expectDecodeError(
      () => decodeExecutorInput(bytes),
      "ExecutorInput",
      at,
      /^unknown CacheDecision variant 3$/,
    );
    expectDecodeError(() => decodeValue(fromHex("07")), "Value", 0, /^unknown Value variant 7$/);
  });

  test("a bool byte above 1 and an Option tag above 1 are refused", () => {
    expectDecodeError(() => decodeValue(fromHex("01 02")), "Value", 1, /^invalid bool byte 2$/);
    const manifest = manifestWith({});
    const defaultAt = manifest.length - 3; // default, step_schema None, config_schema None
    manifest[defaultAt] = 2;
    expectDecodeError(
      () => decodePluginManifest(manifest),
      "PluginManifest",
      defaultAt,
      /^invalid bool byte 2$/,
    );
    expectDecodeError(
      () => decodePluginError(fromHex("00000000 00000000 02")),
      "PluginError",
      8,
      /Option tag 2/,
    );
  });

  test("invalid UTF-8 is refused at the first bad byte", () => {
    const bad: [string, number][] = [
      ["61 ff", 1], // not a lead byte
      ["61 c0 80", 1], // overlong NUL
      ["e2 82", 0], // truncated sequence
      ["ed a0 80", 0], // UTF-16 surrogate
      ["f4 90 80 80", 0], // above U+10FFFF
      ["e2 28 a1", 0], // bad continuation
    ];
    for (const [utf8, index] of bad) {
      const bytes = fromHex(utf8);
      const message = new Uint8Array([bytes.length, 0, 0, 0, ...bytes, 0, 0, 0, 0, 0]);
      expectDecodeError(
        () => decodePluginError(message),
        "PluginError",
        4 + index,
        /^invalid UTF-8 in string$/,
      );
    }
  });

  test("a leading byte-order mark is kept as data, not stripped", () => {
    expect(decodeValue(fromHex("04 03000000 efbbbf"))).toBe("\ufeff");
  });

  test("an invalid char code point is refused", () => {
    const flag = (short: string): Uint8Array =>
      encodePluginManifest({
        api_version: 2,
        name: "p",
        version: "1.0.0",
        description: "",
        capabilities: [
          {
            kind: "subcommand",
            verb: "v",
            about: "",
            args: [{ kind: "flag", long: "l", short, help: null }],
            subcommands: [],
          },
        ],
        config_schema: null,
      });
    const bytes = flag("a");
    const at = bytes.indexOf(0x61, bytes.length - 12); // the char's u32
    for (const [cp, text] of [
      [0xd800, "0xd800"],
      [0x110000, "0x110000"],
      [0xffffffff, "0xffffffff"],
    ] as const) {
      new DataView(bytes.buffer).setUint32(at, cp, true);
      expectDecodeError(
        () => decodePluginManifest(bytes),
        "PluginManifest",
        at,
        new RegExp(`^invalid char code point ${text}$`),
      );
    }
  });

  test("a length prefix larger than the bytes left is refused before anything is allocated", () => {
    expectDecodeError(
      () => decodeValue(fromHex("04 ffffffff")),
      "Value",
      1,
      /^string length 4294967295 exceeds the 0 bytes left$/,
    );
    // Refused by the count check at the count's own offset, which runs before any item is read or
    // allocated (a wall-time bound said the same, and failed when a loaded machine paused the test).
    expectDecodeError(
      () => decodeSubcommandInput(fromHex("ffffff7f 00000000")),
      "SubcommandInput",
      0,
      /^verb_path claims 2147483647 items but only 4 bytes are left$/,
    );
    // Items take at least their minimum size: 3 strings need 12 bytes, not 3.
    expectDecodeError(
      () => decodeSubcommandInput(fromHex("03000000 00000000 00000000")),
      "SubcommandInput",
      0,
      /claims 3 items/,
    );
    expectDecodeError(
      () => decodeValue(fromHex("05 ffffffff")),
      "Value",
      1,
      /^Value\.Array claims 4294967295 items/,
    );
  });

  test("a version that is not semver is refused on decode", () => {
    const bytes = manifestWith({});
    bytes.set(new TextEncoder().encode("1.0.x"), VERSION_AT + 4);
    expectDecodeError(
      () => decodePluginManifest(bytes),
      "PluginManifest",
      VERSION_AT,
      /^invalid semver version "1\.0\.x"/,
    );
    bytes.set(new TextEncoder().encode("01.0."), VERSION_AT + 4);
    expectDecodeError(() => decodePluginManifest(bytes), "PluginManifest", VERSION_AT, /semver/);
  });

  test("Value nesting deeper than 128 levels is refused, not a stack overflow", () => {
    const levels = 100_000;
    const bytes = new Uint8Array(levels * 5 + 1);
    for (let i = 0; i < levels; i++) bytes.set([5, 1, 0, 0, 0], i * 5);
    expectDecodeError(() => decodeValue(bytes), "Value", 128 * 5, /^Value nested deeper than 128 levels$/);
  });

  test("subcommands nested more than 128 levels below the top-level verb are refused", () => {
    const header = manifestWith({ capabilities: [] }).subarray(0, -5); // up to the capability count
    /** A top-level subcommand with `nested` levels of single children, built by hand. */
    const manifest = (nested: number): Uint8Array => {
      const withChild = [1, 0, 0, 0, 0x76, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
      const leaf = [1, 0, 0, 0, 0x76, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
      const body = [1, 0, 0, 0, 0, ...Array.from({ length: nested }, () => withChild).flat(), ...leaf, 0];
      return new Uint8Array([...header, ...body]);
    };
    const ok = decodePluginManifest(manifest(128));
    expect(encodePluginManifest(ok)).toEqual(manifest(128));
    const at = header.length + 5 + 128 * 17 + 17; // the 129th nested spec
    expectDecodeError(
      () => decodePluginManifest(manifest(129)),
      "PluginManifest",
      at,
      /^SubcommandSpec nested deeper than 128 levels$/,
    );
    const deeper: SubcommandSpec = {
      verb: "v",
      about: "",
      args: [],
      subcommands: [ok.capabilities[0] as SubcommandSpec],
    };
    expect(() => manifestWith({ capabilities: [{ kind: "subcommand", ...deeper }] })).toThrow(
      /nested deeper than 128/,
    );
  });

  test("map keys out of order or repeated are refused at the offending key", () => {
    // Value object {"b": null, "a": null}
    expectDecodeError(
      () => decodeValue(fromHex("06 02000000 01000000 62 00 01000000 61 00")),
      "Value",
      11,
      /^Value\.Object key "a" is not after "b"/,
    );
    expectDecodeError(
      () => decodeValue(fromHex("06 02000000 01000000 61 00 01000000 61 00")),
      "Value",
      11,
      /key "a"/,
    );
    // UTF-16 order would accept "😀" before "\uffff"; UTF-8 order does not.
    expectDecodeError(
      () => decodeValue(fromHex("06 02000000 04000000 f09f9880 00 03000000 efbfbf 00")),
      "Value",
      14,
      /is not after/,
    );
  });

  test("numbers Rust could send but JS cannot hold exactly are refused", () => {
    expectDecodeError(
      () => decodeValue(fromHex("02 0000000000002000")),
      "Value",
      1,
      /^Value\.Int 9007199254740992 is outside/,
    );
    expectDecodeError(
      () => decodeValue(fromHex("03 000000000000f87f")),
      "Value",
      1,
      /not a finite number \(NaN\)/,
    );
    expectDecodeError(() => decodeValue(fromHex("03 000000000000f0ff")), "Value", 1, /-Infinity/);
    const log = encodeBuildEvent({ kind: "step_log", step_id: RUN_ID, stream: "stdout", line: "", ts: 0 });
    const view = new DataView(log.buffer);
    view.setBigInt64(log.length - 8, 8_640_000_000_000_001n, true);
    expectDecodeError(
      () => decodeBuildEvent(log),
      "BuildEvent",
      log.length - 8,
      /^timestamp 8640000000000001 ms is outside/,
    );
    view.setBigInt64(log.length - 8, -(2n ** 63n), true);
    expectDecodeError(
      () => decodeBuildEvent(log),
      "BuildEvent",
      log.length - 8,
      /^timestamp -9223372036854775808 is outside/,
    );
  });

  test("input that is not a Uint8Array is a DecodeError too", () => {
    expectDecodeError(() => decodeValue("04" as unknown as Uint8Array), "Value", 0, /not a Uint8Array/);
  });
});
