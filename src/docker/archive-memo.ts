/**
 * The tree id the docker runner derives from a run's archive by reading all
 * of it (`workspace-tree.ts`), kept in a file beside the project's last
 * archive (`docs/design.md`, "Reusing the last archive"), so that the next run
 * whose archive is that same file learns it without reading 200 MB again.
 *
 * The memo names the file it was computed from: device, inode, birth time,
 * size and mtime. The kept archive is read-only and is only ever replaced,
 * never written (a run's archive is a hard link of it); a replacement is
 * another file, with another birth time even where the inode number is
 * reused, so an archive that matches all five holds the bytes the memo was
 * computed from. A file system that keeps no birth time gets no memo.
 */
import { readFileSync, type Stats, statSync } from "node:fs";
import * as v from "valibot";
import { writeFileAtomically } from "../atomic-file.ts";

const FileIdentity = v.object({
  dev: v.number(),
  ino: v.number(),
  birthtimeMs: v.number(),
  size: v.number(),
  mtimeMs: v.number(),
});
export type FileIdentity = v.InferOutput<typeof FileIdentity>;

const Memo = v.object({
  format: v.literal(1),
  archive: FileIdentity,
  treeId: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
});

/** The identity of the file at `path`, or null when it cannot serve as one (no birth time, or no file). */
export function identityOf(path: string): FileIdentity | null {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    return null;
  }
  if (!(stats.birthtimeMs > 0)) return null;
  const { dev, ino, birthtimeMs, size, mtimeMs } = stats;
  return { dev, ino, birthtimeMs, size, mtimeMs };
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.birthtimeMs === b.birthtimeMs &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs
  );
}

/** The tree id the memo at `memoPath` holds for the file `archive` is, or null (none, unreadable, another file's). */
export function recallTreeId(memoPath: string, archive: FileIdentity): string | null {
  try {
    const parsed = v.safeParse(Memo, JSON.parse(readFileSync(memoPath, "utf8")));
    if (!parsed.success || !sameFile(parsed.output.archive, archive)) return null;
    return parsed.output.treeId;
  } catch {
    return null;
  }
}

/** Keeps the tree id of the file `archive` is; a failure only costs the next run the shortcut. */
export function rememberTreeId(memoPath: string, archive: FileIdentity, treeId: string): void {
  const memo: v.InferOutput<typeof Memo> = { format: 1, archive, treeId };
  try {
    writeFileAtomically(memoPath, JSON.stringify(memo), 0o600);
  } catch {
    // The kept archive's directory is gone (hm gc, or the pack could not keep it).
  }
}
