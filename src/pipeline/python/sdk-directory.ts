import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { cacheDir } from "../../plugins/paths.ts";
import { PYTHON_FILES } from "./sdk-files.ts";

/**
 * The evaluator and the SDK on disk: `<hm's cache>/python-sdk/<digest of the files>/`,
 * written once per hm version and reused. Written to a temporary sibling and renamed into
 * place, so an interrupted hm leaves no half-written SDK, and a directory with that name
 * holds exactly these files. In the user's own cache directory (0700), not a shared /tmp.
 */
export function sdkDirectory(): string {
  const digest = createHash("sha256");
  for (const [relative, text] of Object.entries(PYTHON_FILES).sort(([a], [b]) => a.localeCompare(b))) {
    digest.update(`${relative}\0${text}\0`);
  }
  const parent = join(cacheDir(), "python-sdk");
  const dir = join(parent, digest.digest("hex").slice(0, 32));
  if (existsSync(join(dir, "evaluate.py"))) return dir;
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const staging = mkdtempSync(join(parent, ".writing-"));
  try {
    for (const [relative, text] of Object.entries(PYTHON_FILES)) {
      const path = join(staging, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another hm renamed the same files into place first: theirs is as good as ours.
    if (!existsSync(join(dir, "evaluate.py"))) throw error;
  }
  return dir;
}
