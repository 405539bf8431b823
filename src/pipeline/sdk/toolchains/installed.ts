/**
 * `installed: true` on a toolchain (an hm option; the reference SDK has
 * none): use the runtime already on the PATH — of the step's image, or of
 * this machine under the shell runner — instead of downloading it. The apt
 * base and install steps become one step that checks each command
 * is there (exit 127 naming the missing one) and prints its version; nothing
 * is installed, so the shell runner's host check never stops it. Without the
 * option the reference's chain renders unchanged.
 */
import { forever } from "../cache.ts";
import { SdkError } from "../errors.ts";
import { type Step, scratch } from "../step.ts";

interface Preinstalled {
  /** The helper, as errors name it (`js.project`). */
  readonly where: string;
  readonly tag: string;
  /** Runs first, e.g. to source an env file that puts the commands on the PATH. */
  readonly prelude?: string;
  /** Commands that must be on the PATH. */
  readonly commands: readonly string[];
  /** Prints the versions found, e.g. `go version`. */
  readonly versions: string;
  readonly image?: string | undefined;
  readonly base?: Step | undefined;
}

export function useInstalled(p: Preinstalled): Step {
  const checks = p.commands.map(
    (command) =>
      `{ command -v ${command} >/dev/null || { echo "hm: ${p.where}: ${command} is not on the PATH (installed: true uses what is installed)" >&2; exit 127; }; }`,
  );
  const parent = p.base ?? scratch({ image: p.image });
  const parts = [...(p.prelude === undefined ? [] : [p.prelude]), ...checks, p.versions];
  // Cached like the install it replaces: the steps cached after it include its key in theirs.
  return parent.sh(parts.join(" && "), { label: `:${p.tag}: installed`, cache: forever() });
}

/**
 * Whether the toolchain uses what is installed; throws when `installed` is
 * not a boolean, or is true beside an option that only an install uses.
 */
export function wantsInstalled(
  where: string,
  opts: object | undefined,
  installOnly: readonly string[],
): boolean {
  const installed = (opts as { installed?: unknown } | undefined)?.installed;
  if (installed === undefined || installed === false) return false;
  if (installed !== true) {
    throw new SdkError(`${where}: option 'installed' must be true or false — got ${typeof installed}`);
  }
  const conflict = installOnly.find((name) => (opts as Record<string, unknown>)[name] !== undefined);
  if (conflict !== undefined) {
    throw new SdkError(
      `${where}: '${conflict}' chooses what to install, and installed: true installs nothing`,
      {
        hint: `drop '${conflict}', or drop installed: true to let hm install it`,
      },
    );
  }
  return true;
}
