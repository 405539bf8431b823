/**
 * hm's layered configuration (`docs/design.md`, "Configuration and the
 * reference's flags"), lowest to highest: defaults, `${XDG_CONFIG_HOME:-~/.config}/hm/config.toml`,
 * `<project>/.hm/config.toml`, then `HM_*` variables, as the reference
 * layers them; command-line flags win over all of it (the commands apply
 * them). Every value is checked where it is read, and an error names the
 * file and line, or the variable.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { HmError } from "../../errors.ts";
import { nearest } from "../../suggest.ts";
import { CONFIG_KEYS, CONFIG_TABLES, type ConfigKey, ENV_SHORTCUTS, isConfigKey } from "./keys.ts";
import { readTomlFile, type TomlFile } from "./toml-file.ts";

export interface HmConfig {
  readonly backend: "docker" | "cloud";
  readonly cloud: { readonly org?: string; readonly api_url: string; readonly pipeline?: string };
  readonly preferences: { readonly format: "human" | "json"; readonly auto_watch: boolean };
  readonly run: { readonly runner?: string; readonly parallelism?: number };
  readonly pipeline: { readonly eval_timeout?: number };
  readonly logs: { readonly keep_runs?: number; readonly max_mib?: number };
}

/** The reference's default API address; hm never contacts it. */
const DEFAULT_API_URL = "https://api.harmont.dev";

export interface LoadedConfig {
  readonly config: HmConfig;
  /** Where each key that is set came from: a file and line, or a variable. */
  readonly origin: ReadonlyMap<ConfigKey, string>;
  /** Unknown keys, each naming its file (and line) or variable. */
  readonly warnings: readonly string[];
}

interface ConfigSources {
  /** The project root; its `.hm/config.toml` is read. Null outside a project. */
  readonly projectRoot: string | null;
  readonly env?: NodeJS.ProcessEnv;
  /** Values above every layer (`--api-url`), with the flag that set them. */
  readonly overrides?: ReadonlyArray<{ key: ConfigKey; value: unknown; origin: string }>;
}

/** `${XDG_CONFIG_HOME:-$HOME/.config}/hm/config.toml`. */
export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "hm", "config.toml");
}

export function projectConfigPath(projectRoot: string): string {
  return join(projectRoot, ".hm", "config.toml");
}

export function loadConfig(sources: ConfigSources): LoadedConfig {
  const env = sources.env ?? process.env;
  const values = new Map<ConfigKey, unknown>();
  const origin = new Map<ConfigKey, string>();
  const warnings: string[] = [];
  const set = (key: ConfigKey, value: unknown, where: string) => {
    const checked = v.safeParse(CONFIG_KEYS[key].schema, value);
    if (!checked.success) {
      throw new HmError(
        "E_CONFIG",
        `${where}: '${key}' must be ${CONFIG_KEYS[key].expected} (got ${shown(value)})`,
        {
          hint: `fix or remove '${key}' there (hm's README, "Configuration", lists every key)`,
        },
      );
    }
    values.set(key, checked.output);
    origin.set(key, where);
  };

  const files = [
    userConfigPath(env),
    ...(sources.projectRoot === null ? [] : [projectConfigPath(sources.projectRoot)]),
  ];
  for (const path of files) {
    const file = readTomlFile(path);
    if (file === null) continue;
    for (const [key, value] of fileEntries(file, warnings)) {
      const line = file.lineOf(key);
      set(key, value, line === undefined ? file.path : `${file.path}:${line}`);
    }
  }
  for (const [key, value, variable] of envEntries(env, warnings)) set(key, value, variable);
  for (const override of sources.overrides ?? []) set(override.key, override.value, override.origin);

  const get = <T>(key: ConfigKey): T | undefined => values.get(key) as T | undefined;
  const config: HmConfig = {
    backend: get("backend") ?? "docker",
    cloud: {
      ...defined("org", get<string>("cloud.org")),
      api_url: get("cloud.api_url") ?? DEFAULT_API_URL,
      ...defined("pipeline", get<string>("cloud.pipeline")),
    },
    preferences: {
      format: get("preferences.format") ?? "human",
      auto_watch: get("preferences.auto_watch") ?? false,
    },
    run: {
      ...defined("runner", get<string>("run.runner")),
      ...defined("parallelism", get<number>("run.parallelism")),
    },
    pipeline: { ...defined("eval_timeout", get<number>("pipeline.eval_timeout")) },
    logs: {
      ...defined("keep_runs", get<number>("logs.keep_runs")),
      ...defined("max_mib", get<number>("logs.max_mib")),
    },
  };
  return { config, origin, warnings };
}

/** The file's known keys with their values; unknown keys become warnings naming the file and line. */
function fileEntries(file: TomlFile, warnings: string[]): Array<[ConfigKey, unknown]> {
  const entries: Array<[ConfigKey, unknown]> = [];
  const unknown = (dotted: string) => {
    const line = file.lineOf(dotted);
    const near = nearestKey(dotted);
    warnings.push(
      `${file.path}${line === undefined ? "" : `:${line}`}: unknown key '${dotted}'${near === undefined ? "" : ` (did you mean '${near}'?)`}; ignored`,
    );
  };
  for (const [name, value] of Object.entries(file.data)) {
    if (CONFIG_TABLES.includes(name)) {
      if (!isTable(value)) {
        const line = file.lineOf(name);
        throw new HmError(
          "E_CONFIG",
          `${file.path}${line === undefined ? "" : `:${line}`}: '${name}' must be a table ([${name}]), not ${shown(value)}`,
          { hint: `write its keys under a [${name}] line` },
        );
      }
      for (const [key, inner] of Object.entries(value)) {
        const dotted = `${name}.${key}`;
        if (isConfigKey(dotted)) entries.push([dotted, inner]);
        else unknown(dotted);
      }
    } else if (isConfigKey(name)) entries.push([name, value]);
    else unknown(name);
  }
  return entries;
}

/**
 * `HM_<TABLE>__<KEY>` and `HM_<KEY>` (a top-level key), as the reference maps
 * them, plus its shortcuts. Other `HM_*` variables are hm's own settings
 * (`HM_CACHE_DIR`, …) and are not configuration keys; only a `__` form that
 * names no key is a warning, since it can only be a misspelt key.
 */
function envEntries(env: NodeJS.ProcessEnv, warnings: string[]): Array<[ConfigKey, unknown, string]> {
  const entries: Array<[ConfigKey, unknown, string]> = [];
  for (const [variable, raw] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!variable.startsWith("HM_") || raw === undefined || raw === "") continue;
    const key = ENV_SHORTCUTS[variable] ?? variable.slice(3).toLowerCase().replaceAll("__", ".");
    if (!isConfigKey(key)) {
      if (variable.includes("__")) {
        const near = nearestKey(key);
        warnings.push(
          `${variable}: unknown key '${key}'${near === undefined ? "" : ` (did you mean HM_${near.toUpperCase().replaceAll(".", "__")}?)`}; ignored`,
        );
      }
      continue;
    }
    entries.push([key, fromEnv(raw, CONFIG_KEYS[key].env), variable]);
  }
  // The long forms win over the shortcuts, whatever their order in the environment.
  return entries.sort(
    ([, , a], [, , b]) => Number(a in ENV_SHORTCUTS ? 0 : 1) - Number(b in ENV_SHORTCUTS ? 0 : 1),
  );
}

function fromEnv(raw: string, kind: "string" | "number" | "boolean"): unknown {
  if (kind === "number" && /^\s*[0-9.eE+-]+\s*$/.test(raw) && raw.trim() === raw) return Number(raw);
  if (kind === "boolean" && (raw === "true" || raw === "false")) return raw === "true";
  return raw;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function defined<K extends string, T>(name: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: T };
}

function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (isTable(value)) return "a table";
  if (Array.isArray(value)) return "an array";
  return String(value);
}

/** The known key spelled closest to `dotted`, for a typo's warning. */
function nearestKey(dotted: string): string | undefined {
  return nearest(dotted, [...Object.keys(CONFIG_KEYS), ...CONFIG_TABLES]);
}
