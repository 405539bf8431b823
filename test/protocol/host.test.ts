/** Host-function arguments: log levels and KV scopes as u8s, archive ids as 16 UUID bytes. */
import { expect, test } from "bun:test";
import {
  DecodeError,
  EncodeError,
  KV_SCOPES,
  kvScopeFromWire,
  kvScopeToWire,
  LEVELS,
  levelFromWire,
  levelToWire,
  uuidFromBytes,
  uuidToBytes,
} from "../../src/protocol/index.ts";
import { hex, RUN_ID } from "./samples.ts";

test("log levels are 0..4 from trace to error, and anything else is not a level", () => {
  expect(LEVELS).toEqual(["trace", "debug", "info", "warn", "error"]);
  expect(LEVELS.map(levelToWire)).toEqual([0, 1, 2, 3, 4]);
  expect([0, 1, 2, 3, 4].map(levelFromWire)).toEqual([...LEVELS]);
  expect([5, -1, 1.5, 255].map(levelFromWire)).toEqual([null, null, null, null]);
});

test("KV scopes are 0 plugin, 1 build, 2 step", () => {
  expect(KV_SCOPES).toEqual(["plugin", "build", "step"]);
  expect(KV_SCOPES.map(kvScopeToWire)).toEqual([0, 1, 2]);
  expect(kvScopeFromWire(2)).toBe("step");
  expect(kvScopeFromWire(3)).toBeNull();
});

test("an archive id is its UUID's 16 raw bytes, both ways", () => {
  expect(hex(uuidToBytes(RUN_ID))).toBe(RUN_ID.replaceAll("-", ""));
  expect(uuidFromBytes(uuidToBytes(RUN_ID))).toBe(RUN_ID);
  expect(uuidFromBytes(uuidToBytes(RUN_ID.toUpperCase()))).toBe(RUN_ID);
  expect(() => uuidToBytes("nope")).toThrow(EncodeError);
  expect(() => uuidFromBytes(new Uint8Array(15))).toThrow(DecodeError);
  expect(() => uuidFromBytes(new Uint8Array(17))).toThrow(/ArchiveId: expected 16 bytes, got 17/);
});
