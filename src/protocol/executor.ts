/**
 * What a step executor is given and what it returns (`docs/plugin-abi.md`). The
 * command step here is the wire form of the IR step: same fields, fixed
 * order, no `type`.
 */
import { type Codec, option, sortedMap, struct, tagged, vec } from "./codec.ts";
import type { Encodable } from "./encodable.ts";
import { decodeMessage, encodeMessage } from "./message.ts";
import { i32, string, u32, u64 } from "./primitives.ts";
import { uuid } from "./scalars.ts";
import { type Value, value } from "./value.ts";

export interface CommandStep {
  key: string;
  label: string | null;
  cmd: string;
  builds_in: string | null;
  image: string | null;
  env: Record<string, string> | null;
  timeout_seconds: number | null;
  cache: { policy: string; key: string | null } | null;
  runner: string | null;
  runner_args: Value | null;
}

/** The host's cache verdict, which the executor must obey. */
export type CacheDecision =
  | { kind: "hit"; tag: string }
  | { kind: "miss_build_as"; tag: string }
  | { kind: "miss_no_commit" };

export interface ExecutorInput {
  step: CommandStep;
  workspace_archive_id: string;
  env: Record<string, string>;
  workdir: string;
  run_id: string;
  step_id: string;
  cache_lookup: CacheDecision;
  parent_snapshot: string | null;
}

interface ArtifactRef {
  key: string;
  mime: string;
  size_bytes: bigint;
}

export interface StepResult {
  exit_code: number;
  committed_snapshot: string | null;
  artifacts: ArtifactRef[];
}

const env = sortedMap(string, "env");

const commandStep: Codec<CommandStep> = struct({
  key: string,
  label: option(string),
  cmd: string,
  builds_in: option(string),
  image: option(string),
  env: option(env),
  timeout_seconds: option(u32),
  cache: option(struct({ policy: string, key: option(string) })),
  runner: option(string),
  runner_args: option(value),
});

const cacheDecision: Codec<CacheDecision> = tagged("CacheDecision", {
  hit: { tag: string },
  miss_build_as: { tag: string },
  miss_no_commit: {},
});

const executorInput: Codec<ExecutorInput> = struct({
  step: commandStep,
  workspace_archive_id: uuid,
  env,
  workdir: string,
  run_id: uuid,
  step_id: uuid,
  cache_lookup: cacheDecision,
  parent_snapshot: option(string),
});

const stepResult: Codec<StepResult> = struct({
  exit_code: i32,
  committed_snapshot: option(string),
  artifacts: vec(struct({ key: string, mime: string, size_bytes: u64 }), "artifacts"),
});

export function encodeExecutorInput(input: Encodable<ExecutorInput>): Uint8Array {
  return encodeMessage("ExecutorInput", executorInput, input);
}

export function decodeExecutorInput(bytes: Uint8Array): ExecutorInput {
  return decodeMessage("ExecutorInput", executorInput, bytes);
}

export function encodeStepResult(result: Encodable<StepResult>): Uint8Array {
  return encodeMessage("StepResult", stepResult, result);
}

export function decodeStepResult(bytes: Uint8Array): StepResult {
  return decodeMessage("StepResult", stepResult, bytes);
}
