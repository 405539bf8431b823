/**
 * Sample values for every protocol message, in decoded form (null, never
 * undefined), chosen to reach every enum variant, None and Some, empty and
 * non-empty lists and maps, and strings whose UTF-8 order differs from
 * JS's UTF-16 order.
 */
import {
  type BuildEvent,
  type CommandStep,
  decodeBuildEvent,
  decodeExecutorInput,
  decodeExitInfo,
  decodeHookEvent,
  decodeHookOutcome,
  decodePluginError,
  decodePluginManifest,
  decodeStepResult,
  decodeSubcommandInput,
  decodeValue,
  type ExecutorInput,
  type ExitInfo,
  encodeBuildEvent,
  encodeExecutorInput,
  encodeExitInfo,
  encodeHookEvent,
  encodeHookOutcome,
  encodePluginError,
  encodePluginManifest,
  encodeStepResult,
  encodeSubcommandInput,
  encodeValue,
  type HookEvent,
  type HookOutcome,
  type PluginError,
  type PluginManifest,
  type StepResult,
  type SubcommandInput,
  type SubcommandSpec,
  type Value,
} from "../../src/protocol/index.ts";

/** One message type with its codec pair and samples, its type erased so cases can share a table. */
export interface MessageCase {
  readonly name: MessageName;
  readonly encode: (value: unknown) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => unknown;
  readonly samples: readonly unknown[];
}

export type MessageName =
  | "PluginManifest"
  | "ExecutorInput"
  | "StepResult"
  | "BuildEvent"
  | "HookEvent"
  | "HookOutcome"
  | "SubcommandInput"
  | "ExitInfo"
  | "PluginError"
  | "Value";

function messageCase<T>(
  name: MessageName,
  encode: (value: T) => Uint8Array,
  decode: (bytes: Uint8Array) => T,
  samples: T[],
): MessageCase {
  return { name, encode: (value) => encode(value as T), decode, samples };
}

export const RUN_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
export const STEP_ID = "a1b2c3d4-e5f6-4789-abcd-ef0123456789";
export const ARCHIVE_ID = "00000000-0000-0000-0000-000000000000";
export const MAX_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/** Keys whose UTF-8 byte order (Z z é \uffff 😀) differs from JS's default sort (Z z é 😀 \uffff). */
export const TRICKY_KEYS = ["é", "z", "Z", "😀", "\uffff"];
export const UNICODE = "héllo wörld — 你好 😀 𝄞 \ufeff\u0000 \uffff";

/** An object with an own `__proto__` key, which a plain `{ __proto__: … }` literal would not make. */
function withProtoKey<T>(rest: Record<string, T>, value: T): Record<string, T> {
  return { ...rest, ["__proto__"]: value };
}

const trickyEnv: Record<string, string> = Object.fromEntries(TRICKY_KEYS.map((k, i) => [k, `${k}=${i}`]));

export const values: Value[] = [
  null,
  true,
  false,
  0,
  -1,
  42,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  1.5,
  -0,
  1e300,
  -2.5e-308,
  5e-324,
  2 ** 53,
  "",
  UNICODE,
  [],
  {},
  [null, [true, [1, [2.25, ["deep"]]]]],
  Object.fromEntries(TRICKY_KEYS.map((k, i) => [k, i % 2 === 0 ? k : [i, { [k]: null }]])),
  withProtoKey({ type: "object", properties: { a: { type: "string" } } }, "proto is just a key"),
];

export const deepValue = (levels: number): Value => {
  let v: Value = 0;
  for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
};

const emptySubcommand = (verb: string): SubcommandSpec => ({ verb, about: "", args: [], subcommands: [] });

export const manifests: PluginManifest[] = [
  {
    api_version: 2,
    name: "minimal",
    version: "0.1.0",
    description: "",
    capabilities: [{ kind: "step_executor", runner: "docker", default: false, step_schema: null }],
    config_schema: null,
  },
  {
    api_version: 4_294_967_295,
    name: "harmont-cloud",
    version: "1.2.3-rc.1+build.5",
    description: "Cloud runs — ☁️ 😀",
    capabilities: [
      {
        kind: "subcommand",
        verb: "cloud",
        about: "Talk to Harmont Cloud",
        args: [
          { kind: "positional", name: "target", help: null, required: true, value_type: "string" },
          { kind: "positional", name: "count", help: "how many", required: false, value_type: "int" },
          {
            kind: "option",
            long: "org",
            short: "o",
            help: "organisation",
            required: false,
            value_type: "string",
            default: "personal",
          },
          {
            kind: "option",
            long: "emoji",
            short: "😀",
            help: null,
            required: true,
            value_type: "bool",
            default: null,
          },
          { kind: "flag", long: "verbose", short: "v", help: "more output" },
          { kind: "flag", long: "quiet", short: null, help: null },
        ],
        subcommands: [
          {
            verb: "org",
            about: "Organisations",
            args: [],
            subcommands: [emptySubcommand("switch"), emptySubcommand("list")],
          },
          emptySubcommand("login"),
        ],
      },
      {
        kind: "step_executor",
        runner: "vm",
        default: true,
        step_schema: { type: "object", required: ["image"] },
      },
      {
        kind: "lifecycle_hook",
        events: [
          "build_start",
          "step_queued",
          "step_start",
          "step_log",
          "step_cache_hit",
          "step_end",
          "build_end",
        ],
        phase: "before",
        timeout_ms: 5000,
      },
      { kind: "lifecycle_hook", events: [], phase: "after", timeout_ms: 0 },
    ],
    config_schema: {},
  },
];

const fullStep: CommandStep = {
  key: "build",
  label: "Build 🛠",
  cmd: "make -j8 && echo 'done'\n",
  builds_in: "deps",
  image: "ubuntu:24.04",
  env: withProtoKey(trickyEnv, "x"),
  timeout_seconds: 4_294_967_295,
  cache: { policy: "content", key: "build-cache" },
  runner: "docker",
  runner_args: { privileged: false, mounts: ["/a", "/b"], cpus: 1.5 },
};

const bareStep: CommandStep = {
  key: "",
  label: null,
  cmd: "",
  builds_in: null,
  image: null,
  env: null,
  timeout_seconds: null,
  cache: null,
  runner: null,
  runner_args: null,
};

export const executorInputs: ExecutorInput[] = [
  {
    step: fullStep,
    workspace_archive_id: ARCHIVE_ID,
    env: { PATH: "/usr/bin", HOME: "/root", ...trickyEnv },
    workdir: "/workspace",
    run_id: RUN_ID,
    step_id: STEP_ID,
    cache_lookup: { kind: "hit", tag: "harmont-cache/build:abc" },
    parent_snapshot: "harmont-local-ephemeral/deps:run-a1",
  },
  {
    step: bareStep,
    workspace_archive_id: MAX_UUID,
    env: {},
    workdir: "",
    run_id: STEP_ID,
    step_id: RUN_ID,
    cache_lookup: { kind: "miss_build_as", tag: "" },
    parent_snapshot: null,
  },
  {
    step: { ...bareStep, cache: { policy: "none", key: null }, runner: "vm", runner_args: [] },
    workspace_archive_id: RUN_ID,
    env: { "": "" },
    workdir: "/workspace",
    run_id: RUN_ID,
    step_id: STEP_ID,
    cache_lookup: { kind: "miss_no_commit" },
    parent_snapshot: null,
  },
];

export const stepResults: StepResult[] = [
  { exit_code: 0, committed_snapshot: null, artifacts: [] },
  {
    exit_code: -2_147_483_648,
    committed_snapshot: "harmont-cache/build:abc",
    artifacts: [
      { key: "report", mime: "text/html", size_bytes: 0n },
      { key: "日本語", mime: "application/octet-stream", size_bytes: 2n ** 64n - 1n },
    ],
  },
  { exit_code: 2_147_483_647, committed_snapshot: "", artifacts: [] },
];

const T0 = 1_779_537_600_123;

export const buildEvents: BuildEvent[] = [
  {
    kind: "build_start",
    run_id: RUN_ID,
    plan: { step_count: 2n, chain_count: 1n, default_runner: "docker" },
    started_at: T0,
  },
  {
    kind: "build_start",
    run_id: MAX_UUID,
    plan: { step_count: 0n, chain_count: 0n, default_runner: "" },
    started_at: -1,
  },
  { kind: "step_queued", step_id: STEP_ID, key: "deps", chain_idx: 18_446_744_073_709_551_615n },
  { kind: "step_start", step_id: STEP_ID, runner: "docker", image: "ubuntu:24.04" },
  { kind: "step_start", step_id: STEP_ID, runner: "vm", image: null },
  { kind: "step_log", step_id: STEP_ID, stream: "stdout", line: "ok", ts: T0 + 1 },
  { kind: "step_log", step_id: STEP_ID, stream: "stderr", line: UNICODE, ts: 0 },
  { kind: "step_cache_hit", step_id: STEP_ID, key: "", tag: "harmont-cache/build:abc" },
  {
    kind: "step_end",
    step_id: STEP_ID,
    exit_code: 0,
    duration_ms: 1830n,
    snapshot: "harmont-local-ephemeral/deps",
  },
  { kind: "step_end", step_id: STEP_ID, exit_code: -1, duration_ms: 0n, snapshot: null },
  {
    kind: "chain_failed",
    chain_idx: 3n,
    failed_step_id: STEP_ID,
    failed_step_key: "build",
    exit_code: 2,
    message: "step 'build' exited with code 2",
    ts: 8.64e15,
  },
  { kind: "build_end", exit_code: 0, duration_ms: 4210n },
];

export const hookEvents: HookEvent[] = [
  { event: buildEvents[0] as BuildEvent, phase: "before" },
  { event: buildEvents[6] as BuildEvent, phase: "after" },
  { event: buildEvents[11] as BuildEvent, phase: "before" },
  {
    event: {
      kind: "step_logs",
      lines: [
        { step_id: STEP_ID, stream: "stdout", line: "first", ts: 1_700_000_000_000 },
        { step_id: STEP_ID, stream: "stderr", line: "", ts: 1_700_000_000_001 },
      ],
    },
    phase: "after",
  },
  { event: { kind: "step_logs", lines: [] }, phase: "after" },
];

export const hookOutcomes: HookOutcome[] = [
  { kind: "continue" },
  { kind: "abort", reason: "x" },
  { kind: "abort", reason: "" },
];

export const subcommandInputs: SubcommandInput[] = [
  {
    verb_path: ["cloud", "org", "switch"],
    args: { org: "acme", verbose: true, count: 3 },
    env: { HARMONT_TOKEN: "t", HARMONT_API: "https://example.test" },
  },
  { verb_path: [], args: null, env: {} },
  { verb_path: ["😀"], args: [UNICODE], env: trickyEnv },
];

export const exitInfos: ExitInfo[] = [
  { exit_code: 7, message: null },
  { exit_code: 0, message: "" },
  { exit_code: -1, message: "logged out 👋" },
];

export const pluginErrors: PluginError[] = [
  { code: "cloud_auth", message: "not logged in", doc_url: "https://docs.example/auth" },
  { code: "", message: "", doc_url: null },
];

export const cases: readonly MessageCase[] = [
  messageCase("PluginManifest", encodePluginManifest, decodePluginManifest, manifests),
  messageCase("ExecutorInput", encodeExecutorInput, decodeExecutorInput, executorInputs),
  messageCase("StepResult", encodeStepResult, decodeStepResult, stepResults),
  messageCase("BuildEvent", encodeBuildEvent, decodeBuildEvent, buildEvents),
  messageCase("HookEvent", encodeHookEvent, decodeHookEvent, hookEvents),
  messageCase("HookOutcome", encodeHookOutcome, decodeHookOutcome, hookOutcomes),
  messageCase("SubcommandInput", encodeSubcommandInput, decodeSubcommandInput, subcommandInputs),
  messageCase("ExitInfo", encodeExitInfo, decodeExitInfo, exitInfos),
  messageCase("PluginError", encodePluginError, decodePluginError, pluginErrors),
  messageCase("Value", encodeValue, decodeValue, values),
];

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
