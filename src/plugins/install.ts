/**
 * `hm plugin install` / `remove`. A plugin is fetched (a local file, or
 * https with a pinned SHA-256), then opened and validated from a private
 * temporary copy (ABI, manifest, conflicts with built-ins and installed
 * plugins) before anything is written to the plugin directory; the final
 * copy is atomic (temp file + rename) so a failure leaves nothing behind.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomically } from "../atomic-file.ts";
import { HmError } from "../errors.ts";
import type { PluginManifest } from "../protocol/index.ts";
import { LIBRARY_EXTENSION } from "./paths.ts";
import { claimsOf, openPlugin, type PluginRegistry } from "./registry.ts";

interface InstallOptions {
  readonly source: string;
  readonly pin?: string | undefined;
  readonly targetDir: string;
  /** The plugins hm sees now, for conflict checks. */
  readonly registry: PluginRegistry;
  readonly builtinVerbs: readonly string[];
  readonly builtinRunners: readonly string[];
}

interface Installed {
  readonly path: string;
  readonly manifest: PluginManifest;
}

export async function installPlugin(options: InstallOptions): Promise<Installed> {
  const staging = mkdtempSync(join(tmpdir(), "hm-plugin-install-"));
  try {
    const staged = join(staging, `candidate.${LIBRARY_EXTENSION}`);
    writeFileSync(staged, await fetchSource(options.source, options.pin));
    const opened = openPlugin(staged, "user");
    if ("broken" in opened) {
      throw new HmError(
        "E_PLUGIN_LOAD",
        `${options.source} cannot be installed: ${opened.broken.reason.replace(/^plugin 'candidate\.\w+': /, "")}`,
      );
    }
    const { manifest } = opened.entry;
    checkConflicts(manifest, options);
    mkdirSync(options.targetDir, { recursive: true });
    const target = join(options.targetDir, `${manifest.name}.${LIBRARY_EXTENSION}`);
    writeFileAtomically(target, readFileSync(staged));
    // An older copy of the same plugin under another file name would now conflict with this one.
    for (const old of options.registry.plugins) {
      if (old.name === manifest.name && old.path !== target && dirname(old.path) === options.targetDir)
        rmSync(old.path, { force: true });
    }
    return { path: target, manifest };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function checkConflicts(manifest: PluginManifest, options: InstallOptions): void {
  const builtins = new Set([...options.builtinVerbs, ...options.builtinRunners.map((r) => `runner:${r}`)]);
  for (const claim of claimsOf(manifest)) {
    if (builtins.has(claim)) {
      throw new HmError(
        "E_PLUGIN_LOAD",
        `plugin conflict: both 'hm' (built-in) and '${manifest.name}' claim '${claim}'`,
      );
    }
    // Reinstalling (same name) replaces the old copy, so it is not a conflict.
    const owner = options.registry.plugins.find(
      (p) => p.name !== manifest.name && claimsOf(p.manifest).includes(claim),
    );
    if (owner !== undefined) {
      throw new HmError(
        "E_PLUGIN_LOAD",
        `plugin conflict: both '${owner.name}' and '${manifest.name}' claim '${claim}'`,
        {
          hint: `remove ${owner.path} first (hm plugin remove ${owner.name})`,
        },
      );
    }
  }
}

async function fetchSource(source: string, pin: string | undefined): Promise<Uint8Array> {
  if (source.startsWith("http://")) {
    throw new HmError("E_PLUGIN_SOURCE", "plain http:// is not allowed; use https:// or a local file path");
  }
  if (source.startsWith("https://")) {
    if (pin === undefined)
      throw new HmError("E_PLUGIN_SOURCE", "--pin <sha256> is required for HTTPS sources");
    let response: Response;
    try {
      response = await fetch(source, { redirect: "follow" });
    } catch (error) {
      throw new HmError(
        "E_PLUGIN_SOURCE",
        `could not download ${source}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!response.ok)
      throw new HmError("E_PLUGIN_SOURCE", `could not download ${source}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    verifyPin(bytes, pin);
    return bytes;
  }
  const path = resolve(source);
  if (!existsSync(path) || !statSync(path).isFile())
    throw new HmError("E_PLUGIN_SOURCE", `no file at ${path}`);
  const bytes = readFileSync(path);
  if (pin !== undefined) verifyPin(bytes, pin);
  return bytes;
}

function verifyPin(bytes: Uint8Array, pin: string): void {
  const expected = pin.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected))
    throw new HmError("E_PLUGIN_SOURCE", `--pin must be a SHA-256 in hex (got '${pin}')`);
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== expected) {
    throw new HmError("E_PLUGIN_SOURCE", `SHA-256 mismatch: expected ${expected}, downloaded ${actual}`, {
      hint: "re-fetch the source or correct the --pin value",
    });
  }
}

/** Removes an installed plugin by name: its `<name>.<ext>` file, or the file whose manifest has that name. */
export function removePlugin(name: string, targetDir: string, registry: PluginRegistry): string {
  if (name === "" || name === "." || name === ".." || /[/\\\s]/.test(name)) {
    throw new HmError("E_PLUGIN_NOT_FOUND", `'${name}' is not a plugin name`, {
      hint: "hm plugin list shows installed names",
    });
  }
  const byFile = join(targetDir, `${name}.${LIBRARY_EXTENSION}`);
  const byManifest = registry.plugins.find((p) => p.name === name && p.source === "user")?.path;
  const path = existsSync(byFile) ? byFile : byManifest;
  if (path === undefined || !existsSync(path)) {
    throw new HmError("E_PLUGIN_NOT_FOUND", `no plugin file at ${byFile}`, {
      hint: "hm plugin list shows what is installed",
    });
  }
  rmSync(path);
  return path;
}
