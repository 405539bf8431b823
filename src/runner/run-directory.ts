/**
 * Where a plugin runner keeps what it makes for one run, outside hm's own
 * run directory: `${TMPDIR:-/tmp}/hm-<runner>-<run id>/` (the bundled
 * `shell` runner's step directories; any runner's `.process-groups` record).
 * hm records the directory of every plugin runner a run uses and removes it
 * when the run is over, however it ended, so a runner that keeps to this
 * name never leaves files behind.
 */
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A runner name as one path component: bytes outside `[A-Za-z0-9._-]` written `%XX`. */
function pathComponent(runner: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(runner)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function runnerRunDirectory(runner: string, runId: string): string {
  return join(tmpdir(), `hm-${pathComponent(runner)}-${runId}`);
}

/** Every runner directory of `runId` on disk, for a run whose record does not say which runners it used. */
export function runnerRunDirectoriesOf(runId: string): string[] {
  const suffix = `-${runId}`;
  try {
    return readdirSync(tmpdir())
      .filter((name) => name.startsWith("hm-") && name.endsWith(suffix) && name.length > 3 + suffix.length)
      .map((name) => join(tmpdir(), name));
  } catch {
    return [];
  }
}
