/**
 * The plugin manifest (`docs/plugin-abi.md`): what a plugin says it is and can
 * do, read once at load time.
 */
import { type Codec, option, recursive, struct, tagged, unitEnum, vec } from "./codec.ts";
import type { Encodable } from "./encodable.ts";
import { type HookEventKind, hookEventKind } from "./events.ts";
import { type HookPhase, hookPhase } from "./hook.ts";
import { decodeMessage, encodeMessage } from "./message.ts";
import { bool, string, u32 } from "./primitives.ts";
import { char, semver } from "./scalars.ts";
import { type Value, value } from "./value.ts";

/**
 * The newest wire protocol this host speaks. Protocol 3 adds the `step_logs` hook kind; a plugin
 * reports the lowest version that covers what it declares, so one that does not take
 * `step_logs` still says 2 and loads in an hm that speaks only 2 (`docs/plugin-abi.md`, §1).
 */
export const HM_PLUGIN_API_VERSION = 3;
/** The oldest protocol this host still accepts. */
export const HM_PLUGIN_API_MIN_VERSION = 2;
/** The protocol that added the `step_logs` hook kind. */
export const STEP_LOGS_API_VERSION = 3;

type ValueType = "string" | "int" | "bool";

export type ArgSpec =
  | { kind: "positional"; name: string; help: string | null; required: boolean; value_type: ValueType }
  | {
      kind: "option";
      /** Also the argument's id. */
      long: string;
      /** One character. */
      short: string | null;
      help: string | null;
      required: boolean;
      value_type: ValueType;
      default: string | null;
    }
  | { kind: "flag"; long: string; short: string | null; help: string | null };

export interface SubcommandSpec {
  verb: string;
  about: string;
  args: ArgSpec[];
  subcommands: SubcommandSpec[];
}

interface StepExecutorSpec {
  runner: string;
  /** Run steps that name no runner. */
  default: boolean;
  step_schema: Value | null;
}

interface LifecycleHookSpec {
  events: HookEventKind[];
  phase: HookPhase;
  timeout_ms: number;
}

export type Capability =
  | ({ kind: "subcommand" } & SubcommandSpec)
  | ({ kind: "step_executor" } & StepExecutorSpec)
  | ({ kind: "lifecycle_hook" } & LifecycleHookSpec);

export interface PluginManifest {
  api_version: number;
  name: string;
  /** A SemVer version, e.g. `"0.1.0"`. */
  version: string;
  description: string;
  capabilities: Capability[];
  config_schema: Value | null;
}

const valueType: Codec<ValueType> = unitEnum("ValueType", ["string", "int", "bool"]);

const argSpec: Codec<ArgSpec> = tagged("ArgSpec", {
  positional: { name: string, help: option(string), required: bool, value_type: valueType },
  option: {
    long: string,
    short: option(char),
    help: option(string),
    required: bool,
    value_type: valueType,
    default: option(string),
  },
  flag: { long: string, short: option(char), help: option(string) },
});

const subcommandFields = (nested: Codec<SubcommandSpec>) => ({
  verb: string,
  about: string,
  args: vec(argSpec, "args"),
  subcommands: vec(nested, "subcommands"),
});
const subcommandSpec: Codec<SubcommandSpec> = recursive("SubcommandSpec", (self) =>
  struct(subcommandFields(self)),
);

const capability: Codec<Capability> = tagged("Capability", {
  subcommand: subcommandFields(subcommandSpec),
  step_executor: { runner: string, default: bool, step_schema: option(value) },
  lifecycle_hook: { events: vec(hookEventKind, "events"), phase: hookPhase, timeout_ms: u32 },
});

const pluginManifest: Codec<PluginManifest> = struct({
  api_version: u32,
  name: string,
  version: semver,
  description: string,
  capabilities: vec(capability, "capabilities"),
  config_schema: option(value),
});

export function encodePluginManifest(manifest: Encodable<PluginManifest>): Uint8Array {
  return encodeMessage("PluginManifest", pluginManifest, manifest);
}

export function decodePluginManifest(bytes: Uint8Array): PluginManifest {
  return decodeMessage("PluginManifest", pluginManifest, bytes);
}
