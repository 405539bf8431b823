/**
 * Every key hm reads from its configuration files (`docs/design.md`,
 * "Configuration and the reference's flags"): the reference's keys, which a
 * project written for it may hold, and hm's own. Each key has one valibot schema; a file or variable
 * that sets it is checked against it once, where it is read.
 */
import * as v from "valibot";

/** How a `HM_*` variable's text becomes the key's value before the schema checks it. */
type EnvKind = "string" | "number" | "boolean";

interface KeySpec {
  readonly schema: v.GenericSchema;
  readonly env: EnvKind;
  /** What it expects, for messages ("human or json"). */
  readonly expected: string;
}

const text = v.pipe(v.string(), v.minLength(1));
const seconds = v.pipe(v.number(), v.gtValue(0), v.maxValue(86_400));

/** Dotted key → spec. A key under a table is `table.key`. */
export const CONFIG_KEYS = {
  // The reference's keys.
  backend: { schema: v.picklist(["docker", "cloud"]), env: "string", expected: '"docker" or "cloud"' },
  "cloud.org": { schema: text, env: "string", expected: "an organisation slug" },
  "cloud.api_url": { schema: text, env: "string", expected: "a URL" },
  "cloud.pipeline": { schema: text, env: "string", expected: "a pipeline slug" },
  "preferences.format": {
    schema: v.picklist(["human", "json"]),
    env: "string",
    expected: '"human" or "json"',
  },
  "preferences.auto_watch": { schema: v.boolean(), env: "boolean", expected: "true or false" },
  // hm's own.
  "run.runner": { schema: text, env: "string", expected: "a runner name" },
  "run.parallelism": {
    schema: v.pipe(v.number(), v.integer(), v.minValue(0)),
    env: "number",
    expected: "a whole number (0 means 1)",
  },
  "pipeline.eval_timeout": { schema: seconds, env: "number", expected: "seconds, > 0 and ≤ 86400" },
  "logs.keep_runs": {
    schema: v.pipe(v.number(), v.integer(), v.minValue(0)),
    env: "number",
    expected: "a whole number of runs (0 keeps none)",
  },
  "logs.max_mib": {
    schema: v.pipe(v.number(), v.integer(), v.minValue(1)),
    env: "number",
    expected: "a whole number of MiB, at least 1",
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

export function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(CONFIG_KEYS, key);
}

/** The tables keys live in (`[cloud]`, …), derived from the keys. */
export const CONFIG_TABLES: readonly string[] = [
  ...new Set(
    Object.keys(CONFIG_KEYS).flatMap((key) => (key.includes(".") ? [key.split(".")[0] as string] : [])),
  ),
];

/**
 * The reference's variable shortcuts → their key. (`HM_APP_URL` is the
 * reference's dashboard address, no key; `HM_EVAL_TIMEOUT` is read by the
 * pipeline loader itself and wins over `pipeline.eval_timeout`; `HM_HISTORY_RUNS` and
 * `HM_HISTORY_BYTES` win over the `logs` keys in the same way.)
 */
export const ENV_SHORTCUTS: Readonly<Record<string, ConfigKey>> = {
  HM_ORG: "cloud.org",
  HM_API_URL: "cloud.api_url",
};
