/**
 * Which runtime and package manager a JS project uses, read from its
 * `package.json` (`engines`, `packageManager`) and the lockfiles beside it,
 * with the reference SDK's precedence: package.json wins over lockfiles, and
 * only `packageManager` pins a package-manager version.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type Runtime = "node" | "bun" | "deno";
export type PackageManager = "npm" | "pnpm" | "yarn-classic" | "yarn-berry" | "bun";

interface DetectedJs {
  runtime?: Runtime;
  pm?: PackageManager;
  pmVersion?: string;
}

/** Which file (and field) each detected value came from, for error messages. */
export interface DetectionSources {
  runtime?: string;
  pm?: string;
}

/** `dir` is absolute; a missing or unreadable directory detects nothing. */
export function detectJs(dir: string): DetectedJs {
  return detectJsExplained(dir).detected;
}

export function detectJsExplained(dir: string): { detected: DetectedJs; sources: DetectionSources } {
  const manifest = fromPackageJson(readPackageJson(dir));
  const locks = fromLockfiles(listDir(dir));
  const detected: DetectedJs = {};
  const sources: DetectionSources = {};
  if (manifest.detected.runtime !== undefined) {
    detected.runtime = manifest.detected.runtime;
    sources.runtime = manifest.sources.runtime;
  } else if (locks.detected.runtime !== undefined) {
    detected.runtime = locks.detected.runtime;
    sources.runtime = locks.sources.runtime;
  }
  if (manifest.detected.pm !== undefined) {
    detected.pm = manifest.detected.pm;
    sources.pm = manifest.sources.pm;
  } else if (locks.detected.pm !== undefined) {
    detected.pm = locks.detected.pm;
    sources.pm = locks.sources.pm;
  }
  if (manifest.detected.pmVersion !== undefined) detected.pmVersion = manifest.detected.pmVersion;
  return { detected, sources };
}

interface Explained {
  detected: DetectedJs;
  sources: DetectionSources;
}

function readPackageJson(dir: string): unknown {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  } catch {
    return undefined;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function fromPackageJson(manifest: unknown): Explained {
  const detected: DetectedJs = {};
  const sources: DetectionSources = {};
  if (typeof manifest !== "object" || manifest === null) return { detected, sources };
  const { engines, packageManager } = manifest as { engines?: unknown; packageManager?: unknown };
  if (typeof engines === "object" && engines !== null) {
    const engine = (["bun", "deno", "node"] as const).find((name) => name in engines);
    if (engine !== undefined) {
      detected.runtime = engine;
      sources.runtime = `package.json "engines.${engine}"`;
    }
    if (engine === "bun") {
      detected.pm = "bun";
      sources.pm = sources.runtime;
    }
  }
  if (detected.pm === undefined && typeof packageManager === "string") {
    // "pnpm@9.1.0+sha512.…": the name, then the version as written.
    const [name, version] = packageManager.split("@");
    const pm = packageManagerNamed(name, version);
    if (pm !== undefined) {
      detected.pm = pm;
      sources.pm = `package.json "packageManager": "${packageManager}"`;
    }
    if (version) detected.pmVersion = version;
  }
  return { detected, sources };
}

function packageManagerNamed(
  name: string | undefined,
  version: string | undefined,
): PackageManager | undefined {
  switch (name) {
    case "npm":
    case "pnpm":
    case "bun":
      return name;
    case "yarn":
      return version && Number.parseInt(version, 10) >= 2 ? "yarn-berry" : "yarn-classic";
    default:
      return undefined;
  }
}

const LOCKFILES: readonly [string, DetectedJs][] = [
  ["bun.lock", { runtime: "bun", pm: "bun" }],
  ["bun.lockb", { runtime: "bun", pm: "bun" }],
  ["pnpm-lock.yaml", { pm: "pnpm" }],
  ["deno.lock", { runtime: "deno" }],
  ["package-lock.json", { pm: "npm" }],
  ["yarn.lock", { pm: "yarn-classic" }],
];

/** The first lockfile in this order decides; a `yarn.lock` alone means yarn classic. */
function fromLockfiles(names: readonly string[]): Explained {
  const present = new Set(names);
  const found = LOCKFILES.find(([file]) => present.has(file));
  if (found === undefined) return { detected: {}, sources: {} };
  const [file, detected] = found;
  return {
    detected: { ...detected },
    sources: {
      ...(detected.runtime !== undefined ? { runtime: file } : {}),
      ...(detected.pm !== undefined ? { pm: file } : {}),
    },
  };
}
