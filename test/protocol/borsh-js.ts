/**
 * The same messages described independently for the `borsh` npm package,
 * which follows the Borsh spec but is lax: its output is the reference our
 * strict codec must match byte for byte. Written by hand from the wire rules in
 * `docs/plugin-abi.md` §7 (not derived from our codecs), with our JS shapes converted to
 * borsh-js's: enums as `{ Variant: payload }`, maps as `Map`s sorted by
 * UTF-8 bytes (borsh-js keeps insertion order), UUIDs as 16 bytes, and
 * `char` as a u32 (borsh-js has no char).
 */
import type { Schema } from "borsh";

type StructType = { struct: Record<string, Schema> };

import type {
  ArgSpec,
  BuildEvent,
  Capability,
  CommandStep,
  ExecutorInput,
  HookEvent,
  HookOutcome,
  PluginManifest,
  SubcommandInput,
  SubcommandSpec,
  Value,
} from "../../src/protocol/index.ts";
import type { MessageName } from "./samples.ts";

type Obj = Record<string, unknown>;

const uuid: Schema = { array: { type: "u8", len: 16 } };
const opt = (s: Schema): Schema => ({ option: s });
const vec = (s: Schema): Schema => ({ array: { type: s } });
const strMap = (v: Schema): Schema => ({ map: { key: "string", value: v } });
const struct = (fields: Record<string, Schema>): StructType => ({ struct: fields });
const variant = (name: string, fields: Record<string, Schema>): StructType => ({
  struct: { [name]: struct(fields) },
});
const unitEnum = (...names: string[]): Schema => ({ enum: names.map((n) => variant(n, {})) });

// Recursive schemas are built by mutation; serialize(..., validate=false) then never walks the cycle.
const valueEnum: StructType[] = [];
const ValueSchema: Schema = { enum: valueEnum };
valueEnum.push(
  variant("Null", {}),
  { struct: { Bool: "bool" } },
  { struct: { Int: "i64" } },
  { struct: { Float: "f64" } },
  { struct: { Str: "string" } },
  { struct: { Array: vec(ValueSchema) } },
  { struct: { Object: strMap(ValueSchema) } },
);

const ValueType = unitEnum("String", "Int", "Bool");
const ArgSpecSchema: Schema = {
  enum: [
    variant("Positional", { name: "string", help: opt("string"), required: "bool", value_type: ValueType }),
    variant("Option", {
      long: "string",
      short: opt("u32"),
      help: opt("string"),
      required: "bool",
      value_type: ValueType,
      default: opt("string"),
    }),
    variant("Flag", { long: "string", short: opt("u32"), help: opt("string") }),
  ],
};
const subcommandFields: Record<string, Schema> = {
  verb: "string",
  about: "string",
  args: vec(ArgSpecSchema),
};
const SubcommandSpecSchema = struct(subcommandFields);
subcommandFields.subcommands = vec(SubcommandSpecSchema);
const HookEventKind = unitEnum(
  "BuildStart",
  "StepQueued",
  "StepStart",
  "StepLog",
  "StepCacheHit",
  "StepEnd",
  "BuildEnd",
  "StepLogs",
);
const HookPhase = unitEnum("Before", "After");
const Manifest = struct({
  api_version: "u32",
  name: "string",
  version: "string",
  description: "string",
  capabilities: vec({
    enum: [
      { struct: { Subcommand: SubcommandSpecSchema } },
      variant("StepExecutor", { runner: "string", default: "bool", step_schema: opt(ValueSchema) }),
      variant("LifecycleHook", { events: vec(HookEventKind), phase: HookPhase, timeout_ms: "u32" }),
    ],
  }),
  config_schema: opt(ValueSchema),
});

const CommandStepSchema = struct({
  key: "string",
  label: opt("string"),
  cmd: "string",
  builds_in: opt("string"),
  image: opt("string"),
  env: opt(strMap("string")),
  timeout_seconds: opt("u32"),
  cache: opt(struct({ policy: "string", key: opt("string") })),
  runner: opt("string"),
  runner_args: opt(ValueSchema),
});
const ExecutorInputSchema = struct({
  step: CommandStepSchema,
  workspace_archive_id: uuid,
  env: strMap("string"),
  workdir: "string",
  run_id: uuid,
  step_id: uuid,
  cache_lookup: {
    enum: [
      variant("Hit", { tag: "string" }),
      variant("MissBuildAs", { tag: "string" }),
      variant("MissNoCommit", {}),
    ],
  },
  parent_snapshot: opt("string"),
});
const StepResultSchema = struct({
  exit_code: "i32",
  committed_snapshot: opt("string"),
  artifacts: vec(struct({ key: "string", mime: "string", size_bytes: "u64" })),
});

const StdStreamSchema = unitEnum("Stdout", "Stderr");
const buildEventVariants = () => [
  variant("BuildStart", {
    run_id: uuid,
    plan: struct({ step_count: "u64", chain_count: "u64", default_runner: "string" }),
    started_at: "i64",
  }),
  variant("StepQueued", { step_id: uuid, key: "string", chain_idx: "u64" }),
  variant("StepStart", { step_id: uuid, runner: "string", image: opt("string") }),
  variant("StepLog", { step_id: uuid, stream: StdStreamSchema, line: "string", ts: "i64" }),
  variant("StepCacheHit", { step_id: uuid, key: "string", tag: "string" }),
  variant("StepEnd", { step_id: uuid, exit_code: "i32", duration_ms: "u64", snapshot: opt("string") }),
  variant("ChainFailed", {
    chain_idx: "u64",
    failed_step_id: uuid,
    failed_step_key: "string",
    exit_code: "i32",
    message: "string",
    ts: "i64",
  }),
  variant("BuildEnd", { exit_code: "i32", duration_ms: "u64" }),
];
const BuildEventSchema: Schema = { enum: buildEventVariants() };
/** A HookEvent's event: BuildEvent plus protocol 3's hook-only StepLogs (variant 8). */
const HookBuildEventSchema: Schema = {
  enum: [
    ...buildEventVariants(),
    variant("StepLogs", {
      lines: vec(struct({ step_id: uuid, stream: StdStreamSchema, line: "string", ts: "i64" })),
    }),
  ],
};

export const schemas: Record<MessageName, Schema> = {
  PluginManifest: Manifest,
  ExecutorInput: ExecutorInputSchema,
  StepResult: StepResultSchema,
  BuildEvent: BuildEventSchema,
  HookEvent: struct({ event: HookBuildEventSchema, phase: HookPhase }),
  HookOutcome: { enum: [variant("Continue", {}), variant("Abort", { reason: "string" })] },
  SubcommandInput: struct({ verb_path: vec("string"), args: ValueSchema, env: strMap("string") }),
  ExitInfo: struct({ exit_code: "i32", message: opt("string") }),
  PluginError: struct({ code: "string", message: "string", doc_url: opt("string") }),
  Value: ValueSchema,
};

// ---- our JS shapes → borsh-js values ----

const pascal = (kind: string) => kind.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

function sortedMap<V>(
  record: Record<string, V>,
  convert: (v: V) => unknown = (v) => v,
): Map<string, unknown> {
  return new Map(
    Object.keys(record)
      .sort(byUtf8)
      .map((k) => [k, convert(record[k] as V)]),
  );
}

const uuidBytes = (s: string) => Array.from(Buffer.from(s.replaceAll("-", ""), "hex"));
const codePoint = (c: string | null) => (c === null ? null : c.codePointAt(0));
const unit = (name: string) => ({ [pascal(name)]: {} });
/** `{ kind, ...fields }` → `{ Kind: fields }`, with some fields converted. */
function enumValue(v: { kind: string }, convert: (fields: Obj) => Obj = (f) => f): Obj {
  const { kind, ...fields } = v;
  return { [pascal(kind)]: convert(fields) };
}

export function valueToBorsh(v: Value): unknown {
  if (v === null) return { Null: {} };
  if (typeof v === "boolean") return { Bool: v };
  if (typeof v === "number")
    return Number.isSafeInteger(v) && !Object.is(v, -0) ? { Int: BigInt(v) } : { Float: v };
  if (typeof v === "string") return { Str: v };
  if (Array.isArray(v)) return { Array: v.map(valueToBorsh) };
  return { Object: sortedMap(v, valueToBorsh) };
}
const optValue = (v: Value | null) => (v === null ? null : valueToBorsh(v));

function argSpec(a: ArgSpec): Obj {
  return enumValue(a, (f) => {
    const out: Obj = { ...f };
    if ("short" in f) out.short = codePoint(f.short as string | null);
    if ("value_type" in f) out.value_type = unit(f.value_type as string);
    return out;
  });
}
const subcommandSpec = (s: SubcommandSpec): Obj => ({
  ...s,
  args: s.args.map(argSpec),
  subcommands: s.subcommands.map(subcommandSpec),
});
function capability(c: Capability): Obj {
  if (c.kind === "subcommand") return { Subcommand: subcommandSpec(c) };
  if (c.kind === "step_executor")
    return enumValue(c, (f) => ({ ...f, step_schema: optValue(c.step_schema) }));
  return enumValue(c, (f) => ({ ...f, events: c.events.map(unit), phase: unit(c.phase) }));
}

const commandStep = (s: CommandStep): Obj => ({
  ...s,
  env: s.env === null ? null : sortedMap(s.env),
  runner_args: optValue(s.runner_args),
});

function buildEvent(e: BuildEvent): Obj {
  return enumValue(e, (f) => {
    const out: Obj = { ...f };
    for (const id of ["run_id", "step_id", "failed_step_id"])
      if (id in f) out[id] = uuidBytes(f[id] as string);
    if ("stream" in f) out.stream = unit(f.stream as string);
    return out;
  });
}

export const toBorsh: Record<MessageName, (v: never) => unknown> = {
  PluginManifest: (m: PluginManifest) => ({
    ...m,
    capabilities: m.capabilities.map(capability),
    config_schema: optValue(m.config_schema),
  }),
  ExecutorInput: (x: ExecutorInput) => ({
    ...x,
    step: commandStep(x.step),
    workspace_archive_id: uuidBytes(x.workspace_archive_id),
    env: sortedMap(x.env),
    run_id: uuidBytes(x.run_id),
    step_id: uuidBytes(x.step_id),
    cache_lookup: enumValue(x.cache_lookup),
  }),
  StepResult: (r: unknown) => r,
  BuildEvent: buildEvent,
  HookEvent: (h: HookEvent) => ({
    event:
      h.event.kind === "step_logs"
        ? {
            StepLogs: {
              lines: h.event.lines.map((l) => ({
                ...l,
                step_id: uuidBytes(l.step_id),
                stream: unit(l.stream),
              })),
            },
          }
        : buildEvent(h.event),
    phase: unit(h.phase),
  }),
  HookOutcome: (o: HookOutcome) => enumValue(o),
  SubcommandInput: (s: SubcommandInput) => ({ ...s, args: valueToBorsh(s.args), env: sortedMap(s.env) }),
  ExitInfo: (x: unknown) => x,
  PluginError: (x: unknown) => x,
  Value: valueToBorsh,
};
