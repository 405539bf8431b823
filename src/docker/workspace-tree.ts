/**
 * The run's workspace archive as the docker runner uses it
 * (`docs/design.md`, "The docker runner"): its entries with their byte
 * ranges, a content hash per entry, and the tree's id. Two runs whose
 * archives are byte-identical share the id, so the next run of an unchanged
 * tree finds its workspace image ready; an entry's hash covers its header
 * (path, type, mode, mtime, link target) and content, so comparing two
 * trees' hashes tells which entries changed.
 *
 * The hashes are 128-bit (wyhash with two seeds): they tell the user's own
 * trees apart, where a collision would take ~2^64 trees; nothing here is a
 * security boundary (a project can always put any file in its own tree).
 */
import { type TarEntry, tarEntries } from "../tar/tar-entries.ts";
import { type FileIdentity, identityOf, recallTreeId, rememberTreeId, sameFile } from "./archive-memo.ts";

export interface WorkspaceTree {
  /** 32 hex digits. */
  readonly id: string;
  /** The archive, mapped read-only (its file stays in the run directory until the run ends). */
  readonly archive: Uint8Array;
  readonly entries: readonly TarEntry[];
  /** Each entry's hash, 32 hex digits, in entry order. */
  readonly hashes: readonly string[];
  /** Entry index by path (directories without their trailing slash). */
  readonly byPath: ReadonlyMap<string, number>;
}

export function hash128(bytes: Uint8Array): string {
  const a = Bun.hash.wyhash(bytes, 0x6d5f6869n);
  const b = Bun.hash.wyhash(bytes, 0x776f726bn);
  return a.toString(16).padStart(16, "0") + b.toString(16).padStart(16, "0");
}

/**
 * The tree of the archive at `archivePath`. With `memoPath` (beside the kept archive the
 * run's archive is a link of), the id comes from the memo when it names this very file,
 * and is kept there when computed (`archive-memo.ts`).
 */
export function readWorkspaceTree(archivePath: string, memoPath: string | null = null): WorkspaceTree {
  const before = memoPath === null ? null : identityOf(archivePath);
  const archive = mapFile(archivePath);
  // Mapped by path: the file identified before must be the one mapped.
  const identity = before !== null && unchanged(before, archivePath) ? before : null;
  let id = memoPath === null || identity === null ? null : recallTreeId(memoPath, identity);
  if (id === null) {
    id = hash128(archive);
    // Not when the file changed while it was read: the id might be of neither content.
    if (memoPath !== null && identity !== null && unchanged(identity, archivePath))
      rememberTreeId(memoPath, identity, id);
  }
  // The entries and their hashes only when a layer or a restore needs them: a warm root step needs the id alone.
  let entries: TarEntry[] | null = null;
  let byPath: Map<string, number> | null = null;
  let hashes: string[] | null = null;
  const parsed = () => {
    entries ??= tarEntries(archive);
    return entries;
  };
  return {
    id,
    archive,
    get entries() {
      return parsed();
    },
    get hashes() {
      hashes ??= parsed().map((e) => hash128(archive.subarray(e.start, e.end)));
      return hashes;
    },
    get byPath() {
      if (byPath === null) {
        byPath = new Map();
        for (const [index, entry] of parsed().entries()) byPath.set(entry.path, index);
      }
      return byPath;
    },
  };
}

function unchanged(identity: FileIdentity, path: string): boolean {
  const now = identityOf(path);
  return now !== null && sameFile(identity, now);
}

/** An empty file cannot be mapped; its bytes are none. */
function mapFile(path: string): Uint8Array {
  return Bun.file(path).size === 0 ? new Uint8Array(0) : Bun.mmap(path, { shared: false });
}

/** The directories above `path`, nearest last: `a/b/c` → `a`, `a/b`. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split("/");
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/"));
  return out;
}
