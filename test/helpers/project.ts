/** Builds throwaway projects on disk: `{ ".hm/ci.ts": "..." }` → files under a temp dir. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tempDir } from "./hm.ts";

export function makeProject(files: Record<string, string>): { root: string; cleanup: () => void } {
  const dir = tempDir("hm-project-");
  for (const [relative, content] of Object.entries(files)) {
    const path = join(dir.path, relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return { root: dir.path, cleanup: dir.cleanup };
}
