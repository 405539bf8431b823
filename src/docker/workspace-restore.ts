/**
 * What a builds_in child puts back before its command runs, so it starts
 * from its parent's filesystem with the working tree's files as they stand
 * (`docs/design.md`, "The docker runner"): the tree's entries its ancestors
 * changed, deleted or replaced, and (when the parent's image holds an older
 * tree, e.g. a cache entry of an earlier run) the entries that differ
 * between the two trees, while the paths that tree had and this one lacks
 * are deleted. Files the steps added outside the tree (build outputs) stay,
 * and unchanged files keep their mtimes, so a child does not rebuild what
 * its parent built.
 *
 * When the older tree's index is gone (another machine's cache, a state
 * directory wiped), the whole tree is put back and the listing the image
 * was made with tells what to delete.
 */
import { type ImageState, removedPaths, type TreeIndex } from "./workspace-layer.ts";
import { ancestorsOf, type WorkspaceTree } from "./workspace-tree.ts";

/** One line of the engine's container-changes answer: 0 modified, 1 added, 2 deleted. */
export interface ContainerChange {
  readonly Path: string;
  readonly Kind: number;
}

export type RestorePlan =
  | { readonly kind: "partial"; readonly entries: readonly number[]; readonly deletions: readonly string[] }
  | { readonly kind: "full"; readonly deletions: readonly string[] };

const WORKSPACE_PREFIX = "/workspace/";

/**
 * The workspace paths in `changes`, split into what may differ and the
 * directories whose whole subtree may. The engine reports a directory
 * deleted (2) or made again (1) with nothing below it, and a directory
 * replaced by a file as merely modified (0), also with nothing below it; a
 * directory deleted and made again in one layer (opaque) comes with each
 * lost entry reported deleted. So a tree directory gets its subtree back
 * unless the engine listed what changed below it.
 */
export function dirtyPaths(
  tree: WorkspaceTree,
  changes: readonly ContainerChange[],
): { dirty: string[]; subtrees: string[] } {
  const paths = changes
    .filter((change) => change.Path.startsWith(WORKSPACE_PREFIX))
    .map((change) => ({ path: change.Path.slice(WORKSPACE_PREFIX.length), kind: change.Kind }));
  const listedBelow = new Set<string>();
  for (const { path } of paths) for (const dir of ancestorsOf(path)) listedBelow.add(dir);
  const dirty: string[] = [];
  const subtrees: string[] = [];
  for (const { path, kind } of paths) {
    const at = tree.byPath.get(path);
    if (at === undefined) continue; // not the tree's: a build output, kept
    dirty.push(path);
    if (tree.entries[at]?.type === "directory" && (kind !== 0 || !listedBelow.has(path))) subtrees.push(path);
  }
  return { dirty, subtrees };
}

/** Merges two states' dirty sets (a snapshot's: its image's and what its container changed). */
export function mergeDirty(
  a: Pick<ImageState, "dirty" | "subtrees">,
  b: Pick<ImageState, "dirty" | "subtrees">,
) {
  return {
    dirty: [...new Set([...a.dirty, ...b.dirty])],
    subtrees: [...new Set([...a.subtrees, ...b.subtrees])],
  };
}

/**
 * `state`: the image's (null when it has none: an image an older hm made);
 * `changes`: what the container changed since it was made from the image;
 * `olderIndex`: the index of `state.tree` when that is not this run's tree
 * (null when hm no longer has it); `olderListing`: the image's listing, for the full fallback.
 */
export function planRestore(
  tree: WorkspaceTree,
  state: ImageState | null,
  changes: readonly ContainerChange[],
  olderIndex: TreeIndex | null,
  olderListing: () => Promise<readonly string[]>,
): Promise<RestorePlan> | RestorePlan {
  const sameTree = state !== null && state.tree === tree.id;
  if (state === null || (!sameTree && olderIndex === null)) {
    return olderListing().then((listing) => ({
      kind: "full",
      deletions: listing.filter((path) => path !== "" && !tree.byPath.has(path.replace(/\/$/, ""))),
    }));
  }
  const { dirty, subtrees } = mergeDirty(state, dirtyPaths(tree, changes));
  const chosen = new Set<number>();
  const add = (index: number | undefined) => {
    if (index !== undefined) chosen.add(index);
  };
  for (const path of dirty) add(tree.byPath.get(path));
  if (subtrees.length > 0) {
    const prefixes = subtrees.map((dir) => `${dir}/`);
    tree.entries.forEach((entry, index) => {
      if (prefixes.some((prefix) => entry.path.startsWith(prefix))) chosen.add(index);
    });
  }
  let deletions: string[] = [];
  if (!sameTree && olderIndex !== null) {
    const before = new Map<string, string>();
    for (const [i, path] of olderIndex.paths.entries()) before.set(path, olderIndex.hashes[i] ?? "");
    tree.entries.forEach((entry, index) => {
      if (before.get(entry.path) !== tree.hashes[index]) chosen.add(index);
    });
    deletions = removedPaths(tree, olderIndex);
  }
  // Directories above what is put back come too, so none is made with default permissions.
  for (const index of [...chosen]) {
    const entry = tree.entries[index];
    if (entry !== undefined) for (const dir of ancestorsOf(entry.path)) add(tree.byPath.get(dir));
  }
  return { kind: "partial", entries: [...chosen].sort((a, b) => a - b), deletions };
}

/** The chosen entries, copied verbatim from the archive, as one tar to put at `/workspace`. */
export function restoreArchive(tree: WorkspaceTree, entries: readonly number[]): Uint8Array {
  let size = 1024;
  for (const index of entries) {
    const entry = tree.entries[index];
    if (entry !== undefined) size += entry.end - entry.start;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const index of entries) {
    const entry = tree.entries[index];
    if (entry === undefined) continue;
    out.set(tree.archive.subarray(entry.start, entry.end), at);
    at += entry.end - entry.start;
  }
  return out; // ends in the two zero blocks it was allocated with
}
