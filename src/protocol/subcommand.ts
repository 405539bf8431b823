/**
 * Subcommand calls and plugin errors (`docs/plugin-abi.md`): what a plugin verb
 * is given, how it says to exit, and the error any method may return.
 */
import { type Codec, option, sortedMap, struct, vec } from "./codec.ts";
import type { Encodable } from "./encodable.ts";
import { decodeMessage, encodeMessage } from "./message.ts";
import { i32, string } from "./primitives.ts";
import { type Value, value } from "./value.ts";

export interface SubcommandInput {
  /** The full verb path, top-level verb included, e.g. `["cloud", "org", "switch"]`. */
  verb_path: string[];
  /** Parsed arguments of the leaf command, keyed by positional name or option/flag `long`. */
  args: Value;
  env: Record<string, string>;
}

export interface ExitInfo {
  exit_code: number;
  message: string | null;
}

export interface PluginError {
  /** Stable snake_case id, e.g. `cloud_auth`. */
  code: string;
  message: string;
  doc_url: string | null;
}

const subcommandInput: Codec<SubcommandInput> = struct({
  verb_path: vec(string, "verb_path"),
  args: value,
  env: sortedMap(string, "env"),
});
const exitInfo: Codec<ExitInfo> = struct({ exit_code: i32, message: option(string) });
const pluginError: Codec<PluginError> = struct({ code: string, message: string, doc_url: option(string) });

export function encodeSubcommandInput(input: Encodable<SubcommandInput>): Uint8Array {
  return encodeMessage("SubcommandInput", subcommandInput, input);
}

export function decodeSubcommandInput(bytes: Uint8Array): SubcommandInput {
  return decodeMessage("SubcommandInput", subcommandInput, bytes);
}

export function encodeExitInfo(info: Encodable<ExitInfo>): Uint8Array {
  return encodeMessage("ExitInfo", exitInfo, info);
}

export function decodeExitInfo(bytes: Uint8Array): ExitInfo {
  return decodeMessage("ExitInfo", exitInfo, bytes);
}

export function encodePluginError(error: Encodable<PluginError>): Uint8Array {
  return encodeMessage("PluginError", pluginError, error);
}

export function decodePluginError(bytes: Uint8Array): PluginError {
  return decodeMessage("PluginError", pluginError, bytes);
}
