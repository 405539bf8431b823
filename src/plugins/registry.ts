/**
 * Plugin discovery and the capability index (`docs/design.md`, "Plugins: where, and which wins"). Directories
 * are read in order (bundled, user, project, HM_PLUGIN_PATH); a plugin name
 * found again in a later directory shadows the earlier one. Every plugin is
 * opened, its ABI checked and its manifest read (in the manifest reader
 * process, unless the manifest cache knows the file) and validated; then its
 * claims (verbs, `runner:<name>`, `default-runner`) are checked against the
 * built-ins and the plugins accepted before it. A plugin that fails any of
 * this is listed as broken with its path and reason; the others still work.
 */
import { existsSync, readdirSync, type Stats, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { type PluginManifest, validateManifest } from "../protocol/index.ts";
import { HM_PLUGIN_API_VERSION } from "../version.ts";
import type { ManifestCache, Recorded } from "./manifest-cache.ts";
import { type ProbeVerdict, probeManifests } from "./manifest-probe.ts";
import { decodeManifestBytes } from "./manifest-reader.ts";
import { LibraryError } from "./native-library.ts";
import {
  envPluginDirs,
  LIBRARY_EXTENSION,
  legacyProjectPluginDir,
  projectPluginDir,
  userPluginDir,
} from "./paths.ts";

type PluginSource = "bundled" | "user" | "project" | "path";

export interface PluginDir {
  readonly dir: string;
  readonly source: PluginSource;
  /** The libraries to open, when not every library of `dir` (the compiled binary's embedded plugins). */
  readonly files?: readonly string[];
}

export interface PluginEntry {
  readonly name: string;
  readonly path: string;
  readonly source: PluginSource;
  readonly manifest: PluginManifest;
}

interface BrokenPlugin {
  readonly path: string;
  readonly source: PluginSource;
  /** Null when the manifest could not be read. */
  readonly name: string | null;
  readonly reason: string;
  /** What it would have provided (so a command that needs it can say why it is missing). */
  readonly claims: string[];
}

interface ShadowedPlugin {
  readonly entry: PluginEntry;
  readonly by: string;
}

interface RegistryOptions {
  readonly directories: readonly PluginDir[];
  /** Manifests of files seen before, so they need not be opened again (the CLI passes one). */
  readonly manifestCache?: ManifestCache;
  readonly builtinVerbs: readonly string[];
  readonly builtinRunners: readonly string[];
}

export class PluginRegistry {
  private readonly byClaim = new Map<string, PluginEntry>();

  constructor(
    readonly plugins: readonly PluginEntry[],
    readonly broken: readonly BrokenPlugin[],
    readonly shadowed: readonly ShadowedPlugin[],
  ) {
    for (const plugin of plugins)
      for (const claim of claimsOf(plugin.manifest)) this.byClaim.set(claim, plugin);
  }

  verb(verb: string): PluginEntry | undefined {
    return this.byClaim.get(verb);
  }

  runner(name: string): PluginEntry | undefined {
    return this.byClaim.get(`runner:${name}`);
  }

  get defaultRunner(): PluginEntry | undefined {
    return this.byClaim.get("default-runner");
  }

  get hooks(): PluginEntry[] {
    return this.plugins.filter((p) => p.manifest.capabilities.some((c) => c.kind === "lifecycle_hook"));
  }

  /** The broken plugin that would have provided `claim` (a verb or `runner:<name>`), if any. */
  brokenClaiming(claim: string): BrokenPlugin | undefined {
    return this.broken.find((b) => b.claims.includes(claim));
  }

  named(name: string): PluginEntry | undefined {
    return this.plugins.find((p) => p.name === name);
  }
}

/** Verbs, `runner:<name>` and `default-runner` a manifest claims. Hooks claim nothing: they stack. */
export function claimsOf(manifest: PluginManifest): string[] {
  const claims: string[] = [];
  for (const capability of manifest.capabilities) {
    if (capability.kind === "subcommand") claims.push(capability.verb);
    if (capability.kind === "step_executor") {
      claims.push(`runner:${capability.runner}`);
      if (capability.default) claims.push("default-runner");
    }
  }
  return claims;
}

export function pluginDirectories(
  projectRoot: string | null,
  bundled: Omit<PluginDir, "source"> | null,
  env = process.env,
): PluginDir[] {
  const dirs: PluginDir[] = [];
  if (bundled !== null) dirs.push({ ...bundled, source: "bundled" });
  dirs.push({ dir: userPluginDir(env), source: "user" });
  if (projectRoot !== null) {
    const legacy = legacyProjectPluginDir(projectRoot);
    // A project at $HOME: its .harmont/plugins is the user directory, already listed.
    if (resolve(legacy) !== resolve(userPluginDir(env))) dirs.push({ dir: legacy, source: "project" });
    dirs.push({ dir: projectPluginDir(projectRoot), source: "project" });
  }
  for (const dir of envPluginDirs(env)) dirs.push({ dir, source: "path" });
  return dirs;
}

/** `<project>/.hm/plugins`, or a placeholder naming it when there is no project. */
export function projectPluginDirFor(projectRoot: string | null): string {
  return projectRoot === null ? "<project>/.hm/plugins/" : projectPluginDir(projectRoot);
}

/** Library files of a plugin directory; a name that cannot be stat'ed (a dangling link) is kept: opening it reports why. */
function libraryFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(`.${LIBRARY_EXTENSION}`))
    .sort()
    .map((f) => join(dir, f))
    .filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return true;
      }
    });
}

type Opened = { ok: true; entry: PluginEntry; dirIndex: number } | { ok: false; broken: BrokenPlugin };

interface PluginFile {
  readonly path: string;
  readonly source: PluginSource;
}

/** Opens one file as a plugin (see `openPlugins`). */
export function openPlugin(
  path: string,
  source: PluginSource,
  cache?: ManifestCache,
): { entry: PluginEntry } | { broken: BrokenPlugin } {
  return openPlugins([{ path, source }], cache)[0] as { entry: PluginEntry } | { broken: BrokenPlugin };
}

/**
 * Opens files as plugins: ABI, manifest, static validation. No plugin code
 * runs in this process: libraries are opened and their manifests read by
 * the manifest reader process (manifest-probe.ts), all at once. With a
 * manifest cache, a file seen before (same size, times and inode) is not
 * read at all: its recorded manifest is decoded and validated again, or its
 * recorded breakage (a crash, not an hm plugin) reported again.
 */
function openPlugins(
  files: readonly PluginFile[],
  cache?: ManifestCache,
): ({ entry: PluginEntry } | { broken: BrokenPlugin })[] {
  const stats = files.map(({ path }) => (cache === undefined ? undefined : statQuietly(path)));
  const known = files.map(({ path }, i) => {
    const stat = stats[i];
    return stat === undefined ? null : (cache?.get(path, stat) ?? null);
  });
  const unknown = files.flatMap((_, i) => (known[i] === null ? [i] : []));
  const verdicts =
    unknown.length === 0 ? [] : probeManifests(unknown.map((i) => (files[i] as PluginFile).path));
  unknown.forEach((i, k) => {
    const verdict = verdicts[k] as ProbeVerdict;
    const recorded: Recorded = "manifest" in verdict ? verdict : { broken: verdict.broken };
    known[i] = recorded;
    const { path } = files[i] as PluginFile;
    const before = stats[i];
    // Remembered only while the file is the one that was read (it may have been replaced meanwhile).
    if (before === undefined || ("lasting" in verdict && !verdict.lasting)) return;
    const after = statQuietly(path);
    if (after !== undefined && sameFile(before, after)) cache?.set(path, after, recorded);
  });
  return files.map(({ path, source }, i) => fromRecorded(path, source, known[i] as Recorded));
}

function fromRecorded(
  path: string,
  source: PluginSource,
  recorded: Recorded,
): { entry: PluginEntry } | { broken: BrokenPlugin } {
  const broken = (reason: string) => ({
    broken: { path, source, name: null, reason: `plugin '${basename(path)}': ${reason}`, claims: [] },
  });
  if ("broken" in recorded) return broken(recorded.broken);
  let manifest: PluginManifest;
  try {
    manifest = decodeManifestBytes(recorded.manifest);
  } catch (error) {
    return broken(error instanceof LibraryError ? error.message : `failed to load: ${String(error)}`);
  }
  const invalid = validateManifest(manifest, HM_PLUGIN_API_VERSION);
  if (invalid !== null) {
    return { broken: { path, source, name: manifest.name, reason: invalid, claims: claimsOf(manifest) } };
  }
  return { entry: { name: manifest.name, path, source, manifest } };
}

function statQuietly(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined; // a dangling link: reading it says why
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

export function loadRegistry(options: RegistryOptions): PluginRegistry {
  const found = options.directories.flatMap(({ dir, source, files }, dirIndex) =>
    (files ?? libraryFiles(dir)).map((path) => ({ path, source, dirIndex })),
  );
  const opened: Opened[] = openPlugins(found, options.manifestCache).map((result, i) =>
    "entry" in result
      ? { ok: true, entry: result.entry, dirIndex: (found[i] as (typeof found)[number]).dirIndex }
      : { ok: false, broken: result.broken },
  );

  options.manifestCache?.forgetRemoved(new Set(found.map((f) => f.path)));
  options.manifestCache?.save();

  // A name seen again in a later directory shadows the earlier plugin.
  const shadowed: ShadowedPlugin[] = [];
  const lastDirOfName = new Map<string, { dirIndex: number; path: string }>();
  for (const o of opened)
    if (o.ok) lastDirOfName.set(o.entry.name, { dirIndex: o.dirIndex, path: o.entry.path });
  const candidates: PluginEntry[] = [];
  for (const o of opened) {
    if (!o.ok) continue;
    const last = lastDirOfName.get(o.entry.name);
    if (last !== undefined && last.dirIndex > o.dirIndex) shadowed.push({ entry: o.entry, by: last.path });
    else candidates.push(o.entry);
  }

  const broken: BrokenPlugin[] = opened.flatMap((o) => (o.ok ? [] : [o.broken]));
  const accepted: PluginEntry[] = [];
  const owner = new Map<string, PluginEntry>();
  const builtins = new Set([...options.builtinVerbs, ...options.builtinRunners.map((r) => `runner:${r}`)]);
  for (const candidate of candidates) {
    const claims = claimsOf(candidate.manifest);
    const conflict = claims
      .map((claim) => {
        if (builtins.has(claim))
          return `plugin conflict: both 'hm' (built-in) and '${candidate.name}' claim '${claim}'`;
        const first = owner.get(claim);
        if (first === undefined) return null;
        // Two files of one plugin name in one directory: tell them apart by path.
        const label = (p: PluginEntry) =>
          first.name === candidate.name ? `'${p.name}' (${p.path})` : `'${p.name}'`;
        return `plugin conflict: both ${label(first)} and ${label(candidate)} claim '${claim}'`;
      })
      .find((c) => c !== null);
    if (conflict !== undefined && conflict !== null) {
      broken.push({
        path: candidate.path,
        source: candidate.source,
        name: candidate.name,
        reason: conflict,
        claims,
      });
      continue;
    }
    const twin = accepted.find((p) => p.name === candidate.name);
    if (twin !== undefined) {
      const reason = `plugin '${candidate.name}' is also provided by ${twin.path} in the same directory`;
      broken.push({ path: candidate.path, source: candidate.source, name: candidate.name, reason, claims });
      continue;
    }
    for (const claim of claims) owner.set(claim, candidate);
    accepted.push(candidate);
  }
  return new PluginRegistry(accepted, broken, shadowed);
}
