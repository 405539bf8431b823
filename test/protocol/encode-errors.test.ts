/**
 * Encoders refuse values Rust could not hold (or would read back
 * differently) with an EncodeError naming the message type and field path.
 */
import { describe, expect, test } from "bun:test";
import {
  EncodeError,
  encodeBuildEvent,
  encodeExecutorInput,
  encodeExitInfo,
  encodeHookOutcome,
  encodePluginError,
  encodePluginManifest,
  encodeStepResult,
  encodeSubcommandInput,
  encodeValue,
  type Value,
} from "../../src/protocol/index.ts";
import { deepValue, executorInputs, manifests } from "./samples.ts";

function expectEncodeError(
  encode: () => unknown,
  messageType: string,
  path: string | null,
  reason: RegExp,
): void {
  let error: unknown;
  try {
    encode();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(EncodeError);
  const e = error as EncodeError;
  expect(e.messageType).toBe(messageType);
  if (path !== null) expect(e.path).toBe(path);
  expect(e.reason).toMatch(reason);
}

const input = executorInputs[0] as (typeof executorInputs)[number];
const manifest = manifests[1] as (typeof manifests)[number];
/** Lets a test pass values the types rightly forbid. */
const untyped = <T>(value: unknown): T => value as T;

describe("encode errors", () => {
  test("a u32 out of range", () => {
    expectEncodeError(
      () => encodeExecutorInput({ ...input, step: { ...input.step, timeout_seconds: 2 ** 32 } }),
      "ExecutorInput",
      "step.timeout_seconds",
      /^expected a u32, got 4294967296$/,
    );
    expectEncodeError(
      () => encodePluginManifest({ ...manifest, api_version: -1 }),
      "PluginManifest",
      "api_version",
      /u32/,
    );
    const hook = { kind: "lifecycle_hook", events: [], phase: "after", timeout_ms: 0.5 } as const;
    expectEncodeError(
      () => encodePluginManifest({ ...manifest, capabilities: [hook] }),
      "PluginManifest",
      "capabilities[0].timeout_ms",
      /u32/,
    );
  });

  test("an i32 that is not an integer or out of range", () => {
    expectEncodeError(
      () => encodeExitInfo({ exit_code: 1.5, message: null }),
      "ExitInfo",
      "exit_code",
      /^expected an i32, got 1\.5$/,
    );
    expectEncodeError(
      () => encodeStepResult({ exit_code: 2 ** 31, artifacts: [] }),
      "StepResult",
      "exit_code",
      /i32/,
    );
    expectEncodeError(() => encodeExitInfo(untyped({ exit_code: "0" })), "ExitInfo", "exit_code", /got "0"/);
  });

  test("a u64 out of range", () => {
    const artifacts = [
      { key: "k", mime: "m", size_bytes: 0n },
      { key: "k", mime: "m", size_bytes: 2n ** 64n },
    ];
    expectEncodeError(
      () => encodeStepResult({ exit_code: 0, artifacts }),
      "StepResult",
      "artifacts[1].size_bytes",
      /u64/,
    );
    expectEncodeError(
      () => encodeBuildEvent({ kind: "build_end", exit_code: 0, duration_ms: -1n }),
      "BuildEvent",
      "duration_ms",
      /^expected a u64, got -1n$/,
    );
    expectEncodeError(
      () => encodeBuildEvent({ kind: "build_end", exit_code: 0, duration_ms: 2 ** 53 }),
      "BuildEvent",
      "duration_ms",
      /u64/,
    );
  });

  test("a bad UUID string", () => {
    for (const bad of [
      "not-a-uuid",
      "6f1c2a3b4d5e4f608a7b9c0d1e2f3a4b",
      "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4g",
      "",
    ]) {
      expectEncodeError(
        () => encodeExecutorInput({ ...input, run_id: bad }),
        "ExecutorInput",
        "run_id",
        /hyphenated UUID/,
      );
    }
  });

  test("a non-finite number in a Value", () => {
    expectEncodeError(() => encodeValue(Number.NaN), "Value", "", /^a Value number must be finite, got NaN$/);
    expectEncodeError(
      () => encodeSubcommandInput({ verb_path: [], args: { a: [1, Number.POSITIVE_INFINITY] }, env: {} }),
      "SubcommandInput",
      'args["a"][1]',
      /Infinity/,
    );
  });

  test("a lone surrogate anywhere in a string, including map keys", () => {
    expectEncodeError(
      () => encodePluginError({ code: "c", message: "bad \ud800 text", doc_url: null }),
      "PluginError",
      "message",
      /^string contains a lone surrogate \(U\+D800 at index 4\)$/,
    );
    expectEncodeError(
      () => encodeExecutorInput({ ...input, env: { ok: "1", "\udc00": "" } }),
      "ExecutorInput",
      'env["\\udc00"]',
      /lone surrogate/,
    );
    expectEncodeError(
      () => encodeHookOutcome({ kind: "abort", reason: `${"x".repeat(100)}\ud83d` }),
      "HookOutcome",
      "reason",
      /U\+D83D at index 100/,
    );
  });

  test("a short that is not exactly one character", () => {
    for (const short of ["", "ab", "\ud800"]) {
      const sub = { kind: "subcommand", verb: "v", about: "", subcommands: [] } as const;
      const args = [{ kind: "flag", long: "l", short, help: null }] as const;
      expectEncodeError(
        () => encodePluginManifest({ ...manifest, capabilities: [{ ...sub, args: [...args] }] }),
        "PluginManifest",
        "capabilities[0].args[0].short",
        /single character/,
      );
    }
  });

  test("a version that is not semver", () => {
    for (const version of ["1.0", "v1.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "18446744073709551616.0.0"]) {
      expectEncodeError(
        () => encodePluginManifest({ ...manifest, version }),
        "PluginManifest",
        "version",
        /^invalid semver version/,
      );
    }
  });

  test("wrong kinds, wrong types and missing required fields", () => {
    expectEncodeError(
      () => encodeHookOutcome(untyped({ kind: "stop" })),
      "HookOutcome",
      "",
      /unknown HookOutcome kind "stop"/,
    );
    expectEncodeError(
      () =>
        encodeBuildEvent(
          untyped({ kind: "step_log", step_id: input.step_id, stream: "stdin", line: "", ts: 0 }),
        ),
      "BuildEvent",
      "stream",
      /expected a StdStream \(stdout, stderr\), got "stdin"/,
    );
    expectEncodeError(() => encodeExitInfo(untyped(null)), "ExitInfo", "", /expected an object, got null/);
    expectEncodeError(
      () => encodePluginError(untyped({ code: "c" })),
      "PluginError",
      "message",
      /expected a string, got undefined/,
    );
    expectEncodeError(
      () => encodeExecutorInput({ ...input, env: untyped(new Map()) }),
      "ExecutorInput",
      "env",
      /plain object/,
    );
    expectEncodeError(
      () =>
        encodeBuildEvent({ kind: "step_log", step_id: input.step_id, stream: "stdout", line: "", ts: 1.5 }),
      "BuildEvent",
      "ts",
      /timestamp/,
    );
    expectEncodeError(
      () => encodeValue(untyped({ a: undefined })),
      "Value",
      '["a"]',
      /undefined is not a Value/,
    );
    expectEncodeError(() => encodeValue(untyped(new Date(0))), "Value", "", /plain object/);
    expectEncodeError(() => encodeValue(untyped(1n)), "Value", "", /1n is not a Value/);
  });

  test("Values nested deeper than 128 levels, or cyclic, are refused instead of overflowing the stack", () => {
    expect(() => encodeValue(deepValue(128))).not.toThrow();
    expectEncodeError(() => encodeValue(deepValue(129)), "Value", null, /nested deeper than 128/);
    const cycle: Value[] = [];
    cycle.push(cycle);
    expectEncodeError(() => encodeValue(cycle), "Value", "[0]".repeat(128), /nested deeper than 128/);
  });

  test("an encode error leaves the encoder usable", () => {
    expect(() => encodeExitInfo({ exit_code: 0.5, message: null })).toThrow(EncodeError);
    expect(encodeExitInfo({ exit_code: 7, message: null })).toEqual(new Uint8Array([7, 0, 0, 0, 0]));
  });
});
