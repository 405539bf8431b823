/**
 * What every toolchain shares: an apt base step (cached for a day), then the
 * toolchain's own install step (cached), which all its actions fork from.
 * A `base` step replaces the apt step, so several toolchains can share one.
 */
import { type CachePolicy, ttl } from "../cache.ts";
import { SdkError } from "../errors.ts";
import { installsSoftware } from "../host-installers.ts";
import { type Step, scratch } from "../step.ts";
import { checkOptions } from "./options.ts";

const APT_CACHE_SECONDS = 86400;

function aptInstallCmd(packages: readonly string[]): string {
  return `apt-get update && apt-get install -y ${packages.join(" ")}`;
}

interface AptBaseOptions {
  readonly packages: readonly string[];
  readonly image?: string;
  readonly label?: string;
}

/** A cached `apt-get install` root step, to pass as `base` to toolchains. */
export function aptBase(opts: AptBaseOptions): Step {
  checkOptions("aptBase", opts, ["packages", "image", "label"]);
  if (!Array.isArray(opts?.packages) || opts.packages.some((p) => typeof p !== "string")) {
    throw new SdkError("aptBase: option 'packages' must be an array of package names");
  }
  return installsSoftware(
    scratch({ image: opts.image }).sh(aptInstallCmd(opts.packages), {
      label: opts.label ?? ":apt: base",
      cache: ttl(APT_CACHE_SECONDS),
    }),
  );
}

/** A toolchain or project in a directory: the install step all its actions fork from. */
export abstract class InstalledIn {
  readonly path: string;
  protected readonly _installed: Step;

  constructor(path: string, installed: Step) {
    this.path = path;
    this._installed = installed;
  }

  install(): Step {
    return this._installed;
  }
}

interface InstallChain {
  /** Debian packages the install command needs (unused when `base` is given). */
  readonly aptPackages: readonly string[];
  readonly installCmd: string;
  readonly installCache: CachePolicy;
  /** The emoji-code tag of every label, `:<tag>: …`. */
  readonly tag: string;
  /** The install step's label after the tag. */
  readonly installLabel: string;
  readonly image?: string | undefined;
  readonly base?: Step | undefined;
  /** False when the install command only checks what apt installed (cmake's `verify`). */
  readonly installs?: boolean;
}

export function installChain(chain: InstallChain): Step {
  const base =
    chain.base ??
    installsSoftware(
      scratch({ image: chain.image }).sh(aptInstallCmd(chain.aptPackages), {
        label: `:${chain.tag}: apt-base`,
        cache: ttl(APT_CACHE_SECONDS),
      }),
    );
  const installed = base.sh(chain.installCmd, {
    label: `:${chain.tag}: ${chain.installLabel}`,
    cache: chain.installCache,
  });
  return chain.installs === false ? installed : installsSoftware(installed);
}
