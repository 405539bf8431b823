/**
 * The layer of a workspace image (`docs/design.md`, "The docker runner"):
 * the working tree under `workspace/`, plus `.hm/state` (the tree's id, so
 * a child knows which tree its image holds) and `.hm/listing` (every path,
 * for an image whose tree hm no longer has an index of). Full: every entry.
 * Incremental, on top of the workspace image of an earlier tree: the entries
 * whose hash changed, the directories above them (so the layer never
 * creates a parent with default permissions), and an overlay whiteout for
 * each path the earlier tree had and this one lacks.
 *
 * The layer's digest (its "diff id", the SHA-256 of the uncompressed tar) is
 * computed as it is written: the engine checks it when loading.
 */
import * as v from "valibot";
import { TarWriter } from "../tar/tar-writer.ts";
import { ancestorsOf, type WorkspaceTree } from "./workspace-tree.ts";

/**
 * What an image's `/.hm/state` holds: the tree its workspace is (`tree`),
 * the workspace paths a step changed, added or deleted since (`dirty`), and
 * of those the directories deleted or replaced, whose whole subtree may
 * differ (`subtrees`). A workspace image's has none; a snapshot's lists what
 * its steps changed.
 */
export const ImageStateSchema = v.object({
  tree: v.string(),
  dirty: v.array(v.string()),
  subtrees: v.array(v.string()),
});
export type ImageState = v.InferOutput<typeof ImageStateSchema>;

/** A tree's index as kept beside its workspace image, to build the next one incrementally. */
export interface TreeIndex {
  readonly paths: readonly string[];
  readonly hashes: readonly string[];
}

export interface LayerFile {
  readonly path: string;
  /** `sha256:<hex>` of the tar. */
  readonly diffId: string;
  readonly bytes: number;
}

const ROOT_META = { mode: 0o755, mtime: 0 };
const encoder = new TextEncoder();

export function cleanState(tree: string): ImageState {
  return { tree, dirty: [], subtrees: [] };
}

/** Writes the layer to `output`; `since`: the index of the tree the layer goes on top of, or null for a full layer. */
export function writeWorkspaceLayer(tree: WorkspaceTree, since: TreeIndex | null, output: string): LayerFile {
  const hasher = new Bun.CryptoHasher("sha256");
  const writer = TarWriter.create(output, { observe: (bytes) => hasher.update(bytes) });
  try {
    writer.addDirectory("workspace", ROOT_META);
    const removed = since === null ? [] : removedPaths(tree, since);
    const chosen = since === null ? tree.entries.map((_, i) => i) : changedEntries(tree, since, removed);
    for (const index of chosen) emitEntry(writer, tree, index);
    for (const path of removed) emitWhiteout(writer, path);
    writer.addDirectory(".hm", ROOT_META);
    writer.addBytes(
      ".hm/state",
      { mode: 0o644, mtime: 0 },
      encoder.encode(JSON.stringify(cleanState(tree.id))),
    );
    writer.addBytes(".hm/listing", { mode: 0o644, mtime: 0 }, encoder.encode(listingOf(tree)));
    const bytes = writer.finish();
    return { path: output, diffId: `sha256:${hasher.digest("hex")}`, bytes };
  } catch (error) {
    writer.abort();
    throw error;
  }
}

/** Every path of the tree, one per line (directories with a trailing slash, as the archive lists them). */
export function listingOf(tree: WorkspaceTree): string {
  let out = "";
  for (const entry of tree.entries) {
    if (entry.path.includes("\n")) continue;
    out += entry.type === "directory" ? `${entry.path}/\n` : `${entry.path}\n`;
  }
  return out;
}

/**
 * Indices of entries new or changed since `since`, with their ancestors and
 * those of the removed paths (a tar entry must not appear twice), in archive order.
 */
function changedEntries(tree: WorkspaceTree, since: TreeIndex, removed: readonly string[]): number[] {
  const before = new Map<string, string>();
  for (const [i, path] of since.paths.entries()) before.set(path, since.hashes[i] ?? "");
  const chosen = new Set<number>();
  tree.entries.forEach((entry, index) => {
    if (before.get(entry.path) === tree.hashes[index]) return;
    chosen.add(index);
    for (const dir of ancestorsOf(entry.path)) {
      const at = tree.byPath.get(dir);
      if (at !== undefined) chosen.add(at);
    }
  });
  for (const path of removed)
    for (const dir of ancestorsOf(path)) {
      const at = tree.byPath.get(dir);
      if (at !== undefined) chosen.add(at); // its real mode, not one the engine would make up
    }
  return [...chosen].sort((a, b) => a - b);
}

/**
 * Paths of `since` that this tree lacks, topmost only (a removed directory's
 * whiteout covers its contents), and only where every directory above is
 * still a directory (a path under what is now a file is hidden by that file).
 */
export function removedPaths(tree: WorkspaceTree, since: TreeIndex): string[] {
  const removed = since.paths.filter((path) => !tree.byPath.has(path));
  const gone = new Set(removed);
  return removed.filter((path) => ancestorsOf(path).every((dir) => !gone.has(dir) && isDirectory(tree, dir)));
}

function isDirectory(tree: WorkspaceTree, path: string): boolean {
  const at = tree.byPath.get(path);
  return at !== undefined && tree.entries[at]?.type === "directory";
}

function emitEntry(writer: TarWriter, tree: WorkspaceTree, index: number): void {
  const entry = tree.entries[index];
  if (entry === undefined) return;
  const name = `workspace/${entry.path}`;
  const meta = { mode: entry.mode, mtime: entry.mtime };
  if (entry.type === "directory") writer.addDirectory(name, meta);
  else if (entry.type === "symlink") writer.addSymlink(name, entry.linkTarget, meta);
  else writer.addBytes(name, meta, tree.archive.subarray(entry.dataStart, entry.dataStart + entry.size));
}

/** An overlay whiteout: an empty file `.wh.<name>` beside what it hides; the engine applies it as a deletion. */
function emitWhiteout(writer: TarWriter, path: string): void {
  const slash = path.lastIndexOf("/");
  const name = `${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`;
  writer.addBytes(`workspace/${name}`, { mode: 0o644, mtime: 0 }, new Uint8Array(0));
}
