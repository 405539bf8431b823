/**
 * `hm cache save|restore|clean` (reference §7.5): the step-cache images
 * (`hm-cache/<step>:<key>`, the prefix `hm run` tags with, so the reference's
 * save/restore prefix mismatch cannot happen) moved to and from a directory a
 * CI system can cache between jobs.
 *
 * A directory holds one `docker save` tar per tag, `<step>--<key>.tar`, and
 * `manifest.json` = `{"version":1,"images":{"<file>":"<tag>"}}` with its files
 * sorted, so the same images always give the same manifest hash. Every file is
 * written under a temporary name and renamed into place: an interrupted save
 * never leaves a truncated tar that a later restore would trust.
 */
import { createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import * as v from "valibot";
import { HmError, messageOf } from "../errors.ts";
import { removeIfInterrupted } from "../interrupt-cleanup.ts";
import { processAlive } from "../process-alive.ts";
import type { Engine } from "./engine.ts";
import { CACHE_REPOSITORY } from "./names.ts";

const MANIFEST = "manifest.json";
const RESAVE = "remove the directory, or run hm cache save into it again";
const PREFIX = `${CACHE_REPOSITORY}/`;

const TAR_FILE = /^([a-z0-9][a-z0-9_.-]*)--([a-z0-9_.-]+)\.tar$/;

const ManifestSchema = v.object({
  version: v.literal(1),
  // A file name of this directory (never a path), and a cache tag.
  images: v.record(
    v.pipe(v.string(), v.regex(TAR_FILE, "not a <step>--<key>.tar file name")),
    v.pipe(v.string(), v.startsWith(PREFIX)),
  ),
});
export type CacheManifest = v.InferOutput<typeof ManifestSchema>;

export interface CacheImage {
  tag: string;
  id: string;
  size: number;
  created: number;
}

/** Every local image tag under the cache prefix. */
export async function cacheImages(engine: Engine): Promise<CacheImage[]> {
  const images: CacheImage[] = [];
  for (const image of await engine.listImages()) {
    for (const tag of image.RepoTags ?? []) {
      if (tag.startsWith(PREFIX))
        images.push({ tag, id: image.Id, size: image.Size, created: image.Created });
    }
  }
  return images.sort((a, b) => a.tag.localeCompare(b.tag));
}

/** `hm-cache/<step>:<key>` → `<step>--<key>.tar`. */
export function fileForTag(tag: string): string {
  const [repository = "", key = ""] = tag.slice(PREFIX.length).split(":");
  return `${repository}--${key}.tar`;
}

/** The inverse of fileForTag, for directories without a manifest; null when the name does not parse. */
export function tagForFile(file: string): string | null {
  const match = TAR_FILE.exec(file);
  return match === null ? null : `${PREFIX}${match[1]}:${match[2]}`;
}

/** The manifest as written: compact JSON, files sorted. */
export function manifestJson(manifest: CacheManifest): string {
  const images = Object.fromEntries(Object.entries(manifest.images).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify({ version: manifest.version, images });
}

/** First 8 bytes of SHA-256 of the manifest, as 16 hex digits: a cache key for CI systems. */
export function manifestHash(manifest: CacheManifest): string {
  return createHash("sha256").update(manifestJson(manifest)).digest("hex").slice(0, 16);
}

function readManifest(dir: string): CacheManifest | null {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new HmError("E_USAGE", `${path}: not valid JSON (${messageOf(error)})`, { hint: RESAVE });
  }
  const result = v.safeParse(ManifestSchema, parsed);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue.path?.map((p) => String(p.key)).join(".") ?? "(root)";
    throw new HmError("E_USAGE", `${path}: ${where}: ${issue.message}`, { hint: RESAVE });
  }
  return result.output;
}

/** Writes `path` atomically: to a temporary sibling first, renamed on success, removed on failure or Ctrl-C. */
async function writeAtomically(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${path}.${process.pid}.partial`;
  const done = removeIfInterrupted(tmp);
  try {
    await write(tmp);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  } finally {
    done();
  }
}

/** Temporary files a save killed mid-write left (their writer's pid is gone). */
function removeAbandonedPartials(dir: string): void {
  for (const file of readdirSync(dir)) {
    const pid = /\.(\d+)\.partial$/.exec(file)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    rmSync(join(dir, file), { force: true });
  }
}

export interface SaveResult {
  hash: string;
  saved: string[];
  kept: string[];
  removed: string[];
}

/** Exports every cache image not already in `dir`, writes the manifest, and drops tars no image claims. */
/** `dir` as a cache directory (created for a save), or a usage error saying why it cannot be one. */
function cacheDirectory(dir: string, create: boolean): void {
  try {
    if (create) mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
  } catch (error) {
    throw new HmError("E_USAGE", `cannot use ${dir} as a cache directory: ${messageOf(error)}`, {
      hint: "give a directory path (it is created when missing)",
    });
  }
}

export async function saveCache(engine: Engine, dir: string): Promise<SaveResult> {
  cacheDirectory(dir, true);
  removeAbandonedPartials(dir);
  const manifest: CacheManifest = { version: 1, images: {} };
  const result: SaveResult = { hash: "", saved: [], kept: [], removed: [] };
  for (const image of await cacheImages(engine)) {
    const file = fileForTag(image.tag);
    manifest.images[file] = image.tag;
    const path = join(dir, file);
    if (existsSync(path)) {
      result.kept.push(file);
      continue;
    }
    await writeAtomically(path, async (tmp) => {
      const stream = await engine.getImage(image.tag).get();
      await pipeline(stream, createWriteStream(tmp));
    });
    result.saved.push(file);
  }
  for (const file of readdirSync(dir)) {
    if (file.endsWith(".tar") && manifest.images[file] === undefined) {
      rmSync(join(dir, file), { force: true });
      result.removed.push(file);
    }
  }
  await writeAtomically(join(dir, MANIFEST), async (tmp) => {
    await Bun.write(tmp, `${manifestJson(manifest)}\n`);
  });
  result.hash = manifestHash(manifest);
  return result;
}

export interface RestoreResult {
  total: number;
  loaded: number;
  present: number;
  missingDir: boolean;
}

/** Loads every image of `dir` the engine lacks; the manifest names the tags, or else the file names do. */
export async function restoreCache(engine: Engine, dir: string): Promise<RestoreResult> {
  if (!existsSync(dir)) return { total: 0, loaded: 0, present: 0, missingDir: true };
  cacheDirectory(dir, false);
  const manifest = readManifest(dir);
  const entries: [string, string][] =
    manifest !== null
      ? Object.entries(manifest.images)
      : readdirSync(dir).flatMap((file) => {
          const tag = tagForFile(file);
          return tag === null ? [] : [[file, tag] as [string, string]];
        });
  const local = new Set((await cacheImages(engine)).map((i) => i.tag));
  const result: RestoreResult = { total: entries.length, loaded: 0, present: 0, missingDir: false };
  for (const [file, tag] of entries.sort(([a], [b]) => a.localeCompare(b))) {
    if (local.has(tag)) {
      result.present++;
      continue;
    }
    const path = join(dir, file);
    if (!existsSync(path))
      throw new HmError("E_USAGE", `${join(dir, MANIFEST)} lists ${file}, which is missing`, {
        hint: RESAVE,
      });
    await loadImage(engine, path);
    if (
      !(await engine
        .getImage(tag)
        .inspect()
        .then(
          () => true,
          () => false,
        ))
    ) {
      throw new HmError("E_USAGE", `${path} did not hold ${tag} (the manifest says it does)`, {
        hint: RESAVE,
      });
    }
    result.loaded++;
  }
  return result;
}

async function loadImage(engine: Engine, path: string): Promise<void> {
  const stream = await engine.loadImage(createReadStream(path), { quiet: true });
  await new Promise<void>((resolve, reject) => {
    engine.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
      const failed = error?.message ?? output.find((o) => o.error !== undefined)?.error;
      if (failed === undefined) resolve();
      else reject(new HmError("E_USAGE", `cannot load ${path}: ${failed}`, { hint: RESAVE }));
    });
  });
}

export interface CleanResult {
  images: number;
  bytes: number;
}

/** Removes the cache images (those older than `olderThanDays` only, when given). */
export async function cleanCache(engine: Engine, olderThanDays?: number): Promise<CleanResult> {
  const cutoff =
    olderThanDays === undefined ? Number.POSITIVE_INFINITY : Date.now() / 1000 - olderThanDays * 86_400;
  const doomed = (await cacheImages(engine)).filter((i) => i.created < cutoff);
  const sizes = new Map<string, number>();
  for (const image of doomed) {
    await engine.getImage(image.tag).remove();
    sizes.set(image.id, image.size);
  }
  let bytes = 0;
  for (const size of sizes.values()) bytes += size;
  return { images: doomed.length, bytes };
}
