/**
 * `hm run` flags of the reference hm (`docs/design.md`, "Configuration and
 * the reference's flags"): `-b/--branch` and `-m/--message` are recorded in
 * build_start; `--backend docker` is what hm does anyway; the flags that need
 * Harmont Cloud stop with a message naming what is missing (exit 3), as does
 * `backend = "cloud"` in the configuration when no flag overrides it.
 */
import type { ArgsDef } from "citty";
import { HmError } from "../errors.ts";
import type { LoadedConfig } from "./config/load.ts";

export const referenceRunArgs = {
  branch: {
    type: "string",
    alias: "b",
    valueHint: "BRANCH",
    description: "Branch recorded in build_start (default: the checkout's)",
  },
  message: {
    type: "string",
    alias: "m",
    valueHint: "TEXT",
    description: "Build message recorded in build_start",
  },
  backend: {
    type: "enum",
    options: ["docker", "cloud"] as string[],
    description: "docker: run on this machine (what hm does); cloud needs Harmont Cloud, which hm lacks",
  },
  cloud: { type: "boolean", description: "Same as --backend cloud (needs Harmont Cloud, which hm lacks)" },
  org: {
    type: "string",
    valueHint: "ORG",
    description: "Harmont Cloud organisation (needs Harmont Cloud, which hm lacks)",
  },
  "no-watch": {
    type: "boolean",
    description: "Do not watch a Harmont Cloud build (needs Harmont Cloud, which hm lacks)",
  },
} as const satisfies ArgsDef;

interface ReferenceRunFlags {
  readonly backend?: string | undefined;
  readonly cloud?: boolean | undefined;
  readonly org?: string | undefined;
}

const NO_CLOUD = "hm runs pipelines on this machine only; it has no Harmont Cloud client";

/** Throws E_CLOUD_ONLY (exit 3) when the flags or the configuration ask for Harmont Cloud. */
export function refuseCloud(
  flags: ReferenceRunFlags,
  rawArgs: readonly string[],
  loaded: LoadedConfig,
): void {
  const cloudFlag = flags.backend === "cloud" ? "--backend cloud" : flags.cloud === true ? "--cloud" : null;
  if (cloudFlag !== null) {
    throw new HmError("E_CLOUD_ONLY", `${cloudFlag}: ${NO_CLOUD}`, {
      hint: "leave it out (or pass --backend docker) to run the pipeline here; the reference hm runs it on Harmont Cloud",
    });
  }
  if (flags.org !== undefined) {
    throw new HmError(
      "E_CLOUD_ONLY",
      `--org '${flags.org}' names a Harmont Cloud organisation: ${NO_CLOUD}`,
      {
        hint: "leave --org out to run the pipeline here",
      },
    );
  }
  if (flagGiven(rawArgs, "--no-watch")) {
    throw new HmError("E_CLOUD_ONLY", `--no-watch skips watching a Harmont Cloud build: ${NO_CLOUD}`, {
      hint: "leave --no-watch out: a local run has no build to watch",
    });
  }
  if (flags.backend === undefined && loaded.config.backend === "cloud") {
    const where = loaded.origin.get("backend") ?? "the configuration";
    throw new HmError("E_CLOUD_ONLY", `backend = "cloud" (set in ${where}): ${NO_CLOUD}`, {
      hint: 'set backend = "docker" there, or pass --backend docker to run this pipeline here',
    });
  }
}

function flagGiven(rawArgs: readonly string[], flag: string): boolean {
  const end = rawArgs.indexOf("--");
  return (end < 0 ? rawArgs : rawArgs.slice(0, end)).includes(flag);
}
