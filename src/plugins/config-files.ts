/**
 * `fs_read_config`: a plugin may read files under the project's `.hm/` and
 * nothing else. Both the directory and the candidate are resolved through
 * symlinks before comparing, so `..`, absolute paths and symlinks that point
 * outside are all refused (read as "absent").
 */
import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, sep } from "node:path";

export function readConfigFile(configDir: string | null, relativePath: string): Uint8Array | null {
  if (configDir === null || relativePath === "" || isAbsolute(relativePath) || relativePath.includes("\0"))
    return null;
  try {
    const root = realpathSync(configDir);
    const candidate = realpathSync(join(root, relativePath));
    if (!candidate.startsWith(root + sep)) return null;
    if (!statSync(candidate).isFile()) return null;
    return readFileSync(candidate);
  } catch {
    return null;
  }
}
