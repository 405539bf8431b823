/**
 * Steps are immutable nodes of a chain: each knows its parent. `scratch()`
 * is an empty root, `.sh()` appends a command, `.fork()` is a command-less
 * branch point, `wait()` is a barrier leaf. Lowering (`lower.ts`) walks these
 * back from the leaves a pipeline returns.
 */
import type { CachePolicy } from "./cache.ts";
import { type Duration, parseDuration } from "./duration.ts";
import { describeArgument, SdkError } from "./errors.ts";
import { type OptionHints, warnUnknownOptions } from "./options.ts";

export interface StepOptions {
  readonly label?: string;
  readonly cache?: CachePolicy;
  readonly env?: Readonly<Record<string, string>>;
  readonly image?: string;
  readonly runner?: string;
  readonly runnerArgs?: Readonly<Record<string, unknown>>;
  readonly key?: string;
  readonly cwd?: string;
}

interface StepInit {
  cmd: string | null;
  parent: Step | null;
  isWait?: boolean;
  continueOnFailure?: boolean;
  label?: string | undefined;
  cache?: CachePolicy | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  timeoutSeconds?: number | undefined;
  image?: string | undefined;
  runner?: string | undefined;
  runnerArgs?: Readonly<Record<string, unknown>> | undefined;
  keyOverride?: string | undefined;
}

let nextId = 0;

export class Step {
  /** Identity within one render; never part of the IR. */
  readonly _id: number;
  readonly _cmd: string | null;
  readonly _parent: Step | null;
  readonly _isWait: boolean;
  readonly _continueOnFailure: boolean;
  readonly _label: string | undefined;
  readonly _cache: CachePolicy | undefined;
  readonly _env: Readonly<Record<string, string>> | undefined;
  readonly _timeoutSeconds: number | undefined;
  readonly _image: string | undefined;
  readonly _runner: string | undefined;
  readonly _runnerArgs: Readonly<Record<string, unknown>> | undefined;
  readonly _keyOverride: string | undefined;

  /** @internal use `sh()`, `scratch()`, `wait()` */
  constructor(init: StepInit) {
    this._id = nextId++;
    this._cmd = init.cmd;
    this._parent = init.parent;
    this._isWait = init.isWait ?? false;
    this._continueOnFailure = init.continueOnFailure ?? false;
    this._label = init.label;
    this._cache = init.cache;
    this._env = init.env;
    this._timeoutSeconds = init.timeoutSeconds;
    this._image = init.image;
    this._runner = init.runner;
    this._runnerArgs = init.runnerArgs;
    this._keyOverride = init.keyOverride;
  }

  sh(cmd: string, opts?: StepOptions): Step {
    checkShArgs(cmd, opts);
    if (opts?.cwd === "") {
      throw new SdkError("cwd must be a non-empty path", {
        hint: 'omit cwd to run in the workspace root, or pass cwd="some/dir"',
      });
    }
    // An image given to scratch() reaches only its direct .sh() child.
    const image = opts?.image ?? (this._cmd === null ? this._image : undefined);
    return new Step({
      cmd: opts?.cwd != null ? `cd ${opts.cwd} && ${cmd}` : cmd,
      parent: this,
      label: opts?.label,
      cache: opts?.cache,
      env: opts?.env,
      image,
      runner: opts?.runner,
      runnerArgs: opts?.runnerArgs,
      keyOverride: opts?.key,
    });
  }

  fork(opts?: { label?: string }): Step {
    if (isPlainObject(opts)) warnUnknownOptions(opts, ["label"], "fork() option");
    return new Step({ cmd: null, parent: this, label: opts?.label });
  }

  /** A copy with the timeout set; the chain is preserved. */
  withTimeoutSeconds(seconds: number): Step {
    return new Step({ ...this.init(), timeoutSeconds: seconds });
  }

  private init(): StepInit {
    return {
      cmd: this._cmd,
      parent: this._parent,
      isWait: this._isWait,
      continueOnFailure: this._continueOnFailure,
      label: this._label,
      cache: this._cache,
      env: this._env,
      timeoutSeconds: this._timeoutSeconds,
      image: this._image,
      runner: this._runner,
      runnerArgs: this._runnerArgs,
      keyOverride: this._keyOverride,
    };
  }
}

const STRING_OPTIONS = ["label", "image", "runner", "key", "cwd"] as const;
const STEP_OPTIONS: readonly (keyof StepOptions)[] = [...STRING_OPTIONS, "cache", "env", "runnerArgs"];

/** Names from other CI systems that no spelling distance leads to. */
const STEP_OPTION_HINTS: OptionHints = {
  timeout: (value) => timeoutCall(value),
  timeoutseconds: (value) => timeoutCall(value),
  name: () => "'label'",
  environment: () => "'env'",
  dir: () => "'cwd'",
  workdir: () => "'cwd'",
  workingdirectory: () => "'cwd'",
};

function timeoutCall(value: unknown): string {
  const duration = typeof value === "number" || typeof value === "string" ? JSON.stringify(value) : '"10m"';
  return `timeout(${duration}, sh(...))`;
}

/** Catch wrong types where they are written, not later as an invalid graph. */
function checkShArgs(cmd: unknown, opts: StepOptions | undefined): void {
  if (typeof cmd !== "string") {
    throw new SdkError(`sh() expects a command string as its first argument — got ${describeArgument(cmd)}`);
  }
  if (opts === undefined) return;
  if (typeof opts !== "object" || opts === null) {
    throw new SdkError(`sh() options must be an object — got ${describeArgument(opts)}`);
  }
  warnUnknownOptions(opts, STEP_OPTIONS, "step option", STEP_OPTION_HINTS);
  for (const name of STRING_OPTIONS) {
    const value = opts[name];
    if (value !== undefined && typeof value !== "string") {
      throw new SdkError(`sh() option '${name}' must be a string — got ${describeArgument(value)}`);
    }
  }
  if (opts.env !== undefined) {
    if (!isPlainObject(opts.env)) {
      throw new SdkError(
        `sh() option 'env' must be an object of strings — got ${describeArgument(opts.env)}`,
      );
    }
    for (const [name, value] of Object.entries(opts.env)) {
      if (typeof value !== "string") {
        throw new SdkError(
          `sh() option 'env': value of '${name}' must be a string — got ${describeArgument(value)}`,
        );
      }
    }
  }
  if (opts.runnerArgs !== undefined && !isPlainObject(opts.runnerArgs)) {
    throw new SdkError(
      `sh() option 'runnerArgs' must be an object — got ${describeArgument(opts.runnerArgs)}`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function scratch(opts?: { image?: string }): Step {
  if (isPlainObject(opts)) warnUnknownOptions(opts, ["image"], "scratch() option");
  return new Step({ cmd: null, parent: null, image: opts?.image });
}

export function sh(cmd: string, opts?: StepOptions): Step {
  return scratch().sh(cmd, opts);
}

export function wait(opts?: { continueOnFailure?: boolean }): Step {
  if (isPlainObject(opts)) warnUnknownOptions(opts, ["continueOnFailure"], "wait() option");
  return new Step({
    cmd: null,
    parent: null,
    isWait: true,
    continueOnFailure: opts?.continueOnFailure ?? false,
  });
}

/** A copy of `step` that the runner kills once `duration` elapses. */
export function timeout(duration: Duration, step: Step): Step {
  if (!(step instanceof Step)) throw new SdkError("timeout() expects a step as its second argument");
  if (step._isWait) {
    throw new SdkError("timeout() cannot wrap a wait() barrier", {
      hint: 'apply timeout() to a command step, e.g. timeout("30s", sh("make test"))',
    });
  }
  return step.withTimeoutSeconds(parseDuration(duration));
}
