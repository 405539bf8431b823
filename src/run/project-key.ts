/**
 * The key hm files a project's state under in the state directory
 * (`docs/design.md`, "Run history" and "Reusing the last archive"): a hash of
 * the project root's canonical path, so the same checkout reached through a
 * symlink is one project and a moved checkout starts afresh. A `scope` keys
 * something the project has several of (the kept archive is one per pipeline
 * directory). Not the docker runner's project identity
 * (`pipeline/project-identity.ts`), which follows a repository across its checkouts.
 *
 * Without a scope the key is the one history has always used (16 hex digits of
 * SHA-256 of the path), so saved runs stay where `hm runs` finds them.
 */
import { realpathSync } from "node:fs";

export function projectKey(projectRoot: string, scope?: string): string {
  let canonical = projectRoot;
  try {
    canonical = realpathSync(projectRoot);
  } catch {
    // A project directory that is gone has nothing to find but its path.
  }
  const hasher = new Bun.CryptoHasher("sha256").update(canonical);
  if (scope !== undefined) hasher.update(`\0${scope}`);
  return hasher.digest("hex").slice(0, 16);
}
