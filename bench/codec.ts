/**
 * Micro-benchmark of the protocol codec against the `borsh` npm package on
 * realistic messages. Run: `bun bench/codec.ts`. borsh-js is timed on
 * values already converted to its shapes (and not converted back), which
 * flatters it slightly; both sides produce identical bytes (checked here).
 */
import { deserialize, type Schema, serialize } from "borsh";
import {
  type BuildEvent,
  decodeBuildEvent,
  decodeExecutorInput,
  decodeHookEvent,
  type ExecutorInput,
  encodeBuildEvent,
  encodeExecutorInput,
  encodeHookEvent,
  type HookEvent,
} from "../src/protocol/index.ts";
import { schemas, toBorsh } from "../test/protocol/borsh-js.ts";
import type { MessageName } from "../test/protocol/samples.ts";

const RUN_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const STEP_ID = "a1b2c3d4-e5f6-4789-abcd-ef0123456789";

const env: Record<string, string> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  CI: "true",
  HARMONT: "1",
  HARMONT_RUN_ID: RUN_ID,
  HARMONT_STEP_KEY: "test",
  LANG: "C.UTF-8",
  NODE_ENV: "test",
  RUST_BACKTRACE: "1",
  CARGO_HOME: "/usr/local/cargo",
  GIT_COMMIT: "0123456789abcdef0123456789abcdef01234567",
  GIT_BRANCH: "feature/faster-codecs",
  DATABASE_URL: "postgres://postgres:postgres@localhost:5432/app_test",
  TZ: "UTC",
};

const executorInput: ExecutorInput = {
  step: {
    key: "test",
    label: "Unit tests",
    cmd: "cargo test --workspace --all-features -- --test-threads=8 && cargo clippy --all-targets -- -D warnings",
    builds_in: "deps",
    image: null,
    env: { RUST_LOG: "info", DATABASE_URL: env.DATABASE_URL as string },
    timeout_seconds: 1800,
    cache: { policy: "on_change", key: "3f7a9c1e5b2d4f6a8c0e1b3d5f7a9c1e5b2d4f6a8c0e1b3d5f7a9c1e5b2d4f6a" },
    runner: "docker",
    runner_args: {
      privileged: false,
      cpus: 4,
      memory: "8g",
      mounts: ["/var/run/docker.sock:/var/run/docker.sock"],
    },
  },
  workspace_archive_id: "0f0e0d0c-0b0a-4908-8706-050403020100",
  env,
  workdir: "/workspace",
  run_id: RUN_ID,
  step_id: STEP_ID,
  cache_lookup: { kind: "miss_build_as", tag: "harmont-cache/test:3f7a9c1e5b2d4f6a" },
  parent_snapshot: "harmont-local-ephemeral/deps:run-6f1c2a3b",
};

const stepLog: BuildEvent = {
  kind: "step_log",
  step_id: STEP_ID,
  stream: "stdout",
  line: "test protocol::codec::tests::round_trips_every_message_type ... ok (0.42s) — 128 assertions ✓",
  ts: 1_779_537_601_500,
};

const hookEvent: HookEvent = { event: stepLog, phase: "before" };

interface Subject {
  readonly label: string;
  readonly name: MessageName;
  readonly value: unknown;
  readonly encode: (v: never) => Uint8Array;
  readonly decode: (b: Uint8Array) => unknown;
}

const subjects: Subject[] = [
  {
    label: "ExecutorInput",
    name: "ExecutorInput",
    value: executorInput,
    encode: encodeExecutorInput,
    decode: decodeExecutorInput,
  },
  {
    label: "BuildEvent step_log",
    name: "BuildEvent",
    value: stepLog,
    encode: encodeBuildEvent,
    decode: decodeBuildEvent,
  },
  {
    label: "HookEvent (step_log)",
    name: "HookEvent",
    value: hookEvent,
    encode: encodeHookEvent,
    decode: decodeHookEvent,
  },
];

/** Median µs per call over several timed batches, after a warm-up. */
function time(fn: () => unknown): number {
  const batch = 2_000;
  for (let i = 0; i < batch * 5; i++) fn();
  const runs: number[] = [];
  for (let r = 0; r < 9; r++) {
    const start = Bun.nanoseconds();
    for (let i = 0; i < batch; i++) fn();
    runs.push((Bun.nanoseconds() - start) / 1_000 / batch);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)] as number;
}

const rows: Record<string, string | number>[] = [];
const cell = (us: number, size: number) => `${us.toFixed(2)} µs  ${(size / us).toFixed(0).padStart(4)} MB/s`;

for (const s of subjects) {
  const encode = s.encode as (v: unknown) => Uint8Array;
  const ours = encode(s.value);
  const schema: Schema = schemas[s.name];
  const borshValue = (toBorsh[s.name] as (v: unknown) => unknown)(s.value);
  const theirs = serialize(schema, borshValue, false);
  if (Buffer.compare(ours, theirs) !== 0) throw new Error(`${s.label}: our bytes differ from borsh-js's`);

  const ourEncode = time(() => encode(s.value));
  const ourDecode = time(() => s.decode(ours));
  const borshEncode = time(() => serialize(schema, borshValue, false));
  const borshDecode = time(() => deserialize(schema, theirs, false));
  rows.push({
    message: s.label,
    bytes: ours.length,
    "hm encode": cell(ourEncode, ours.length),
    "hm decode": cell(ourDecode, ours.length),
    "borsh-js encode": cell(borshEncode, ours.length),
    "borsh-js decode": cell(borshDecode, ours.length),
    "speed-up enc/dec": `${(borshEncode / ourEncode).toFixed(1)}× / ${(borshDecode / ourDecode).toFixed(1)}×`,
  });
}

console.log(`Bun ${Bun.version}, median of 9 batches of 2000 calls`);
console.table(rows);
