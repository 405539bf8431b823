/**
 * Manifests of plugins already seen, so start-up (`hm --help` lists plugin
 * verbs) need not start the manifest reader process: a plugin is read again
 * only when its file changed. An entry is keyed by the library's path, size,
 * mtime, ctime and inode, and holds either the manifest's bytes as the plugin
 * returned them (decoded and validated again on every use, which costs
 * microseconds) or why the file is broken when that is a property of the
 * file (it crashed, exited, is not an hm plugin). A plugin that did not
 * answer in time is not remembered: that may have been load. The file is per
 * hm version: a new hm re-reads every plugin. It lives in the cache
 * directory; losing it costs one slow start, nothing else.
 */
import { existsSync, mkdirSync, readFileSync, type Stats } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { writeFileAtomically } from "../atomic-file.ts";
import { HM_VERSION } from "../version.ts";
import { cacheDir } from "./paths.ts";

const EntrySchema = v.union([
  v.object({ stamp: v.string(), manifest: v.string() }),
  v.object({ stamp: v.string(), broken: v.string() }),
]);
type Entry = v.InferOutput<typeof EntrySchema>;

/** What the cache remembers of one file. */
export type Recorded = { readonly manifest: Uint8Array } | { readonly broken: string };
const FileSchema = v.record(v.string(), EntrySchema);

/** What identifies one version of a library file. */
function stampOf(stats: Stats): string {
  return `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.ino}`;
}

export class ManifestCache {
  private readonly entries: Record<string, Entry>;
  private changed = false;

  private constructor(
    private readonly path: string,
    entries: Record<string, Entry>,
  ) {
    this.entries = entries;
  }

  static open(env: NodeJS.ProcessEnv = process.env): ManifestCache {
    const path = join(cacheDir(env), `manifests-${HM_VERSION}.json`);
    let entries: Record<string, Entry> = {};
    try {
      const parsed = v.safeParse(FileSchema, JSON.parse(readFileSync(path, "utf8")));
      if (parsed.success) entries = parsed.output; // anything else: start over
    } catch {
      // missing or unreadable: start over
    }
    return new ManifestCache(path, entries);
  }

  /** What was recorded for this exact file, or null. */
  get(library: string, stats: Stats): Recorded | null {
    const entry = this.entries[library];
    if (entry === undefined || entry.stamp !== stampOf(stats)) return null;
    return "manifest" in entry
      ? { manifest: Buffer.from(entry.manifest, "base64") }
      : { broken: entry.broken };
  }

  set(library: string, stats: Stats, recorded: Recorded): void {
    const stamp = stampOf(stats);
    this.entries[library] =
      "manifest" in recorded
        ? { stamp, manifest: Buffer.from(recorded.manifest).toString("base64") }
        : { stamp, broken: recorded.broken };
    this.changed = true;
  }

  /**
   * Drops entries of files that are gone (removed plugins). Files merely not
   * seen this time stay: another project's `.hm/plugins/` is not removed, and
   * forgetting it would make every switch between projects read its plugins
   * again, each read a process start.
   */
  forgetRemoved(seen: ReadonlySet<string>): void {
    for (const library of Object.keys(this.entries)) {
      if (seen.has(library) || existsSync(library)) continue;
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
