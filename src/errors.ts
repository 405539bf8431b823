/**
 * One error family for the whole CLI. Every failure a user can cause is an
 * `HmError` with a stable code, the process exit code it maps to, and an
 * optional hint; `src/cli/run-cli.ts` prints them in one place.
 */

/** Process exit codes (`docs/design.md`, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  buildFailed: 1,
  usage: 2,
  /** Harmont Cloud was asked for (`backend = "cloud"`, `--cloud`, `--org`…): hm runs locally only. */
  cloudOnly: 3,
  network: 4,
  pluginLoad: 5,
  pluginRuntime: 6,
  pipelineInvalid: 7,
  timedOut: 124,
  cancelled: 130,
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable error codes; tests and scripts match on these, never on text. */
type ErrorCode =
  | "E_USAGE"
  | "E_UNKNOWN_COMMAND"
  | "E_PIPELINE_NOT_FOUND"
  | "E_PIPELINE_RENDER"
  | "E_PIPELINE_INVALID"
  | "E_UNKNOWN_RUNNER"
  | "E_RUNNER_ARGS"
  | "E_WORKSPACE"
  | "E_DOCKER_UNREACHABLE"
  | "E_PROJECT"
  | "E_CONFIG"
  | "E_CLOUD_ONLY"
  | "E_INIT"
  | "E_PLUGIN_LOAD"
  | "E_PLUGIN_RUNTIME"
  | "E_PLUGIN_NOT_FOUND"
  | "E_PLUGIN_SOURCE"
  | "E_RUN_NOT_FOUND"
  | "E_INTERNAL";

const exitCodeOf: Record<ErrorCode, ExitCode> = {
  E_USAGE: ExitCode.usage,
  E_UNKNOWN_COMMAND: ExitCode.usage,
  E_PIPELINE_NOT_FOUND: ExitCode.usage,
  E_PIPELINE_RENDER: ExitCode.usage,
  E_PIPELINE_INVALID: ExitCode.pipelineInvalid,
  E_UNKNOWN_RUNNER: ExitCode.pipelineInvalid,
  E_RUNNER_ARGS: ExitCode.pipelineInvalid,
  E_WORKSPACE: ExitCode.buildFailed,
  E_DOCKER_UNREACHABLE: ExitCode.network,
  E_PROJECT: ExitCode.usage,
  E_CONFIG: ExitCode.usage,
  E_CLOUD_ONLY: ExitCode.cloudOnly,
  E_INIT: ExitCode.usage,
  E_PLUGIN_LOAD: ExitCode.pluginLoad,
  E_PLUGIN_RUNTIME: ExitCode.pluginRuntime,
  E_PLUGIN_NOT_FOUND: ExitCode.usage,
  E_PLUGIN_SOURCE: ExitCode.usage,
  E_RUN_NOT_FOUND: ExitCode.usage,
  E_INTERNAL: ExitCode.buildFailed,
};

export class HmError extends Error {
  override readonly name = "HmError";
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = exitCodeOf[code];
    this.hint = options?.hint;
  }
}

export function isHmError(value: unknown): value is HmError {
  return value instanceof HmError;
}

/** The message of anything thrown, without its stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
