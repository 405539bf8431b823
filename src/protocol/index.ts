/**
 * The plugin wire protocol (`docs/plugin-abi.md`): message types and their strict
 * borsh codecs, byte-compatible with Rust's `hm-plugin-protocol`. Every
 * `decodeX` throws `DecodeError` on anything but one exact valid message;
 * every `encodeX` throws `EncodeError` on a value Rust could not hold.
 */
export { DecodeError, EncodeError } from "./errors.ts";
export type { BuildEvent, HookEventKind, StdStream } from "./events.ts";
export { decodeBuildEvent, encodeBuildEvent } from "./events.ts";
export type { CacheDecision, CommandStep, ExecutorInput, StepResult } from "./executor.ts";
export { decodeExecutorInput, decodeStepResult, encodeExecutorInput, encodeStepResult } from "./executor.ts";
export type { HookEvent, HookOutcome, HookPhase } from "./hook.ts";
export { decodeHookEvent, decodeHookOutcome, encodeHookEvent, encodeHookOutcome } from "./hook.ts";
export {
  KV_SCOPES,
  kvScopeFromWire,
  kvScopeToWire,
  LEVELS,
  levelFromWire,
  levelToWire,
  uuidFromBytes,
  uuidToBytes,
} from "./host.ts";
export type { ArgSpec, Capability, PluginManifest, SubcommandSpec } from "./manifest.ts";
export { decodePluginManifest, encodePluginManifest, HM_PLUGIN_API_VERSION } from "./manifest.ts";
export type { ExitInfo, PluginError, SubcommandInput } from "./subcommand.ts";
export {
  decodeExitInfo,
  decodePluginError,
  decodeSubcommandInput,
  encodeExitInfo,
  encodePluginError,
  encodeSubcommandInput,
} from "./subcommand.ts";
export { validateManifest } from "./validate-manifest.ts";
export type { Value } from "./value.ts";
export { decodeValue, encodeValue } from "./value.ts";
