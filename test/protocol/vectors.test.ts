/** Hand-checked byte vectors, worked out from the wire rules in `docs/plugin-abi.md`. */
import { expect, test } from "bun:test";
import {
  decodeHookOutcome,
  encodeBuildEvent,
  encodeExitInfo,
  encodeHookOutcome,
  encodePluginManifest,
  encodeValue,
} from "../../src/protocol/index.ts";
import { fromHex, hex } from "./samples.ts";

test("HookOutcome abort \"x\" is tag 1, u32 length 1, 'x'", () => {
  expect(hex(encodeHookOutcome({ kind: "abort", reason: "x" }))).toBe("01" + "01000000" + "78");
  expect(decodeHookOutcome(fromHex("01 01000000 78"))).toEqual({ kind: "abort", reason: "x" });
  expect(hex(encodeHookOutcome({ kind: "continue" }))).toBe("00");
});

test("ExitInfo {7, null} is i32 7 then None", () => {
  expect(hex(encodeExitInfo({ exit_code: 7, message: null }))).toBe("07000000" + "00");
  expect(hex(encodeExitInfo({ exit_code: -2, message: "é" }))).toBe("feffffff" + "01" + "02000000" + "c3a9");
});

test("a step_log event: tag 3, raw UUID, stream, string, i64 milliseconds", () => {
  const bytes = encodeBuildEvent({
    kind: "step_log",
    step_id: "00112233-4455-6677-8899-aabbccddeeff",
    stream: "stderr",
    line: "ok",
    ts: 1_000,
  });
  expect(hex(bytes)).toBe(
    "03" + "00112233445566778899aabbccddeeff" + "01" + "02000000" + "6f6b" + "e803000000000000",
  );
});

test("Value: Int is i64, Float is f64, objects are sorted by UTF-8 bytes", () => {
  expect(hex(encodeValue(-1))).toBe("02" + "ffffffffffffffff");
  expect(hex(encodeValue(0.5))).toBe("03" + "000000000000e03f");
  expect(hex(encodeValue({ "😀": null, "\uffff": true }))).toBe(
    "06" + "02000000" + "03000000efbfbf" + "0101" + "04000000f09f9880" + "00",
  );
});

test("an option's short char is tag 1 + its code point as u32", () => {
  const bytes = encodePluginManifest({
    api_version: 2,
    name: "p",
    version: "0.1.0",
    description: "",
    capabilities: [
      {
        kind: "subcommand",
        verb: "v",
        about: "",
        args: [{ kind: "flag", long: "l", short: "😀", help: null }],
        subcommands: [],
      },
    ],
    config_schema: null,
  });
  const expected =
    "02000000" + // api_version
    "01000000" +
    "70" + // name
    "05000000" +
    "302e312e30" + // version
    "00000000" + // description
    "01000000" + // one capability
    "00" +
    "01000000" +
    "76" +
    "00000000" + // subcommand, verb, about
    "01000000" +
    "02" +
    "01000000" +
    "6c" +
    "01" +
    "00f60100" +
    "00" + // one flag: long, Some(U+1F600), no help
    "00000000" + // no nested subcommands
    "00"; // no config_schema
  expect(hex(bytes)).toBe(expected);
});
