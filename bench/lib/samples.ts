/** Realistic messages for the benchmarks: a Rust test step's ExecutorInput and a step_log event. */
import type { BuildEvent, ExecutorInput, HookEvent } from "../../src/protocol/index.ts";

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

export const executorInput: ExecutorInput = {
  step: {
    key: "test",
    label: "Unit tests",
    cmd: "cargo test --workspace --all-features -- --test-threads=8 && cargo clippy --all-targets -- -D warnings",
    builds_in: "deps",
    image: null,
    env: { RUST_LOG: "info", DATABASE_URL: env.DATABASE_URL as string },
    timeout_seconds: 1800,
    cache: { policy: "on_change", key: "3f7a9c1e5b2d4f6a8c0e1b3d5f7a9c1e5b2d4f6a8c0e1b3d5f7a9c1e5b2d4f6a" },
    runner: "bench-noop",
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

export const stepLog: BuildEvent = {
  kind: "step_log",
  step_id: STEP_ID,
  stream: "stdout",
  line: "test protocol::codec::tests::round_trips_every_message_type ... ok (0.42s) — 128 assertions ✓",
  ts: 1_779_537_601_500,
};

export const hookEvent: HookEvent = { event: stepLog, phase: "before" };

/** An ExecutorInput for `runner` with `env` merged into its environment. */
export function inputFor(runner: string, extraEnv: Record<string, string> = {}): ExecutorInput {
  return {
    ...executorInput,
    step: { ...executorInput.step, runner },
    env: { ...executorInput.env, ...extraEnv },
  };
}
