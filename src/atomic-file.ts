/**
 * Writing a file so that a reader (another hm, the reaper, the dynamic
 * loader) sees the old content or the whole new one, never a part: a
 * temporary sibling, renamed over the target; removed if anything fails.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";

export function writeFileAtomically(path: string, data: string | Uint8Array, mode?: number): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, data, mode === undefined ? undefined : { mode });
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true }); // gone already after a rename
  }
}
