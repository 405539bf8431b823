/**
 * Manifests of plugins already seen, so start-up (`hm --help` lists plugin
 * verbs) need not dlopen every library and call it: a plugin is opened on the
 * main thread only when its file changed. An entry is keyed by the library's
 * path, size, mtime, ctime and inode, and holds the manifest's bytes as the
 * plugin returned them (decoded and validated again on every use, which costs
 * microseconds). The file is per hm version: a new hm re-reads every plugin.
 * It lives in the cache directory; losing it costs one slow start, nothing else.
 */
import { mkdirSync, readFileSync, type Stats } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { writeFileAtomically } from "../atomic-file.ts";
import { HM_VERSION } from "../version.ts";
import { cacheDir } from "./paths.ts";

const EntrySchema = v.object({ stamp: v.string(), manifest: v.string() });
const FileSchema = v.record(v.string(), EntrySchema);

/** What identifies one version of a library file. */
function stampOf(stats: Stats): string {
  return `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.ino}`;
}

export class ManifestCache {
  private readonly entries: Record<string, v.InferOutput<typeof EntrySchema>>;
  private changed = false;

  private constructor(
    private readonly path: string,
    entries: Record<string, v.InferOutput<typeof EntrySchema>>,
  ) {
    this.entries = entries;
  }

  static open(env: NodeJS.ProcessEnv = process.env): ManifestCache {
    const path = join(cacheDir(env), `manifests-${HM_VERSION}.json`);
    let entries: Record<string, v.InferOutput<typeof EntrySchema>> = {};
    try {
      const parsed = v.safeParse(FileSchema, JSON.parse(readFileSync(path, "utf8")));
      if (parsed.success) entries = parsed.output; // anything else: start over
    } catch {
      // missing or unreadable: start over
    }
    return new ManifestCache(path, entries);
  }

  /** The manifest bytes recorded for this exact file, or null. */
  get(library: string, stats: Stats): Uint8Array | null {
    const entry = this.entries[library];
    if (entry === undefined || entry.stamp !== stampOf(stats)) return null;
    return Buffer.from(entry.manifest, "base64");
  }

  set(library: string, stats: Stats, manifest: Uint8Array): void {
    this.entries[library] = { stamp: stampOf(stats), manifest: Buffer.from(manifest).toString("base64") };
    this.changed = true;
  }

  /** Drops entries of files that were not seen this time (removed plugins). */
  keepOnly(seen: ReadonlySet<string>): void {
    for (const library of Object.keys(this.entries)) {
      if (seen.has(library)) continue;
      delete this.entries[library];
      this.changed = true;
    }
  }

  /** Writes the file if anything changed (atomically); a failure only means a slower next start. */
  save(): void {
    if (!this.changed) return;
    try {
      mkdirSync(join(this.path, ".."), { recursive: true });
      writeFileAtomically(this.path, JSON.stringify(this.entries));
      this.changed = false;
    } catch {
      // not writable: the next start opens the plugins again
    }
  }
}
