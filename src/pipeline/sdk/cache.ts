/** Cache policies a step can carry (`cache:` option of `.sh()`). */
import { type Duration, parseDuration } from "./duration.ts";
import { SdkError } from "./errors.ts";
import { warnUnknownOptions } from "./options.ts";

export interface CacheForever {
  readonly kind: "forever";
  readonly envKeys: readonly string[];
}
export interface CacheTTL {
  readonly kind: "ttl";
  readonly durationSeconds: number;
  readonly envKeys: readonly string[];
}
export interface CacheOnChange {
  readonly kind: "on_change";
  readonly paths: readonly string[];
}
export interface CacheCompose {
  readonly kind: "compose";
  readonly policies: readonly CachePolicy[];
}
export type CachePolicy = CacheForever | CacheTTL | CacheOnChange | CacheCompose;

/** `envKeys` may be given as `{ envKeys: [...] }` (the reference form) or as a bare array. */
type EnvKeysOption = { envKeys?: readonly string[] } | readonly string[] | undefined;

function envKeysOf(option: EnvKeysOption, fn: string): string[] {
  if (typeof option === "object" && option !== null && !Array.isArray(option)) {
    warnUnknownOptions(option, ["envKeys"], `${fn}() option`);
  }
  const keys = Array.isArray(option)
    ? option
    : (option as { envKeys?: readonly string[] } | undefined)?.envKeys;
  if (keys === undefined) return [];
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) {
    throw new SdkError(`${fn}(): envKeys must be an array of environment variable names`);
  }
  return [...keys];
}

export function forever(opts?: EnvKeysOption): CacheForever {
  return { kind: "forever", envKeys: envKeysOf(opts, "forever") };
}

/** `duration` is seconds, or a Go-style string such as "6h". */
export function ttl(duration: Duration, opts?: EnvKeysOption): CacheTTL {
  return {
    kind: "ttl",
    durationSeconds: parseDuration(duration, "ttl duration"),
    envKeys: envKeysOf(opts, "ttl"),
  };
}

export function onChange(...paths: string[]): CacheOnChange {
  if (paths.some((p) => typeof p !== "string")) throw new SdkError("onChange(): every path must be a string");
  return { kind: "on_change", paths };
}

export function compose(...policies: CachePolicy[]): CacheCompose {
  return { kind: "compose", policies };
}

/** The IR form of a policy (the `cache` object of a step, before its key is resolved). */
export function cachePolicyToIR(policy: CachePolicy): Record<string, unknown> {
  switch (policy.kind) {
    case "forever":
      return { policy: "forever", env_keys: [...policy.envKeys] };
    case "ttl":
      return { policy: "ttl", duration_seconds: policy.durationSeconds, env_keys: [...policy.envKeys] };
    case "on_change":
      return { policy: "on_change", paths: [...policy.paths] };
    case "compose":
      return { policy: "compose", sub_policies: policy.policies.map(cachePolicyToIR) };
    default:
      throw new SdkError(`unknown cache policy ${JSON.stringify(policy)}`, {
        hint: "use forever(), ttl(), onChange() or compose()",
      });
  }
}
