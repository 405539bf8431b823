/**
 * What a build was made from, recorded in `build_start` (`docs/design.md`,
 * "Configuration and the reference's flags"): the branch (`hm run -b`, else
 * the checkout's), the commit, and the build message (`-m`), as the
 * reference takes them from git. Best effort: outside a git checkout the
 * branch is "HEAD" and the commit null.
 */
export interface BuildSource {
  readonly branch: string;
  readonly commit: string | null;
  readonly message: string | null;
}

export function buildSource(
  root: string,
  branch: string | undefined,
  message: string | undefined,
): BuildSource {
  return {
    branch: branch ?? git(root, ["rev-parse", "--abbrev-ref", "HEAD"]) ?? "HEAD",
    commit: git(root, ["rev-parse", "--verify", "--quiet", "HEAD"]),
    message: message ?? null,
  };
}

function git(root: string, args: string[]): string | null {
  try {
    const result = Bun.spawnSync(["git", "-C", root, ...args], {
      stdout: "pipe",
      stderr: "ignore",
      stdin: "ignore",
    });
    const out = result.stdout.toString().trim();
    return result.exitCode === 0 && out !== "" ? out : null;
  } catch {
    // No git on this machine: nothing to record.
    return null;
  }
}
