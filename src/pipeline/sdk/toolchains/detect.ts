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

export interface DetectedJs {
  runtime?: Runtime;
  pm?: PackageManager;
  pmVersion?: string;
}

/** `dir` is absolute; a missing or unreadable directory detects nothing. */
export function detectJs(dir: string): DetectedJs {
  const manifest = fromPackageJson(readPackageJson(dir));
  const locks = fromLockfiles(listDir(dir));
  const detected: DetectedJs = {};
  const runtime = manifest.runtime ?? locks.runtime;
  const pm = manifest.pm ?? locks.pm;
  if (runtime !== undefined) detected.runtime = runtime;
  if (pm !== undefined) detected.pm = pm;
  if (manifest.pmVersion !== undefined) detected.pmVersion = manifest.pmVersion;
  return detected;
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

function fromPackageJson(manifest: unknown): DetectedJs {
  if (typeof manifest !== "object" || manifest === null) return {};
  const { engines, packageManager } = manifest as { engines?: unknown; packageManager?: unknown };
  const detected: DetectedJs = {};
  if (typeof engines === "object" && engines !== null) {
    if ("bun" in engines) {
      detected.runtime = "bun";
      detected.pm = "bun";
    } else if ("deno" in engines) detected.runtime = "deno";
    else if ("node" in engines) detected.runtime = "node";
  }
  if (detected.pm === undefined && typeof packageManager === "string") {
    // "pnpm@9.1.0+sha512.…": the name, then the version as written.
    const [name, version] = packageManager.split("@");
    const pm = packageManagerNamed(name, version);
    if (pm !== undefined) detected.pm = pm;
    if (version) detected.pmVersion = version;
  }
  return detected;
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

/** The first lockfile in this order decides; a `yarn.lock` alone means yarn classic. */
function fromLockfiles(names: readonly string[]): DetectedJs {
  const present = new Set(names);
  if (present.has("bun.lock") || present.has("bun.lockb")) return { runtime: "bun", pm: "bun" };
  if (present.has("pnpm-lock.yaml")) return { pm: "pnpm" };
  if (present.has("deno.lock")) return { runtime: "deno" };
  if (present.has("package-lock.json")) return { pm: "npm" };
  if (present.has("yarn.lock")) return { pm: "yarn-classic" };
  return {};
}
