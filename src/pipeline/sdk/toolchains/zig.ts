/**
 * `zig()`: Zig from ziglang.org's tarball. `zig({ path })` (or
 * `zig().project(path)`) is a project whose build, test and fmt fork off the
 * install; several projects may share one toolchain.
 */
import { forever } from "../cache.ts";
import { SdkError } from "../errors.ts";
import type { Step, StepOptions } from "../step.ts";
import { archCase } from "./downloads.ts";
import { InstalledIn, installChain } from "./install.ts";
import { useInstalled, wantsInstalled } from "./installed.ts";
import { type ActionOptions, actionStep, checkOptions } from "./options.ts";

export interface ZigOptions {
  readonly path?: string;
  /** "0.14.1" and the like. */
  readonly version?: string;
  readonly image?: string;
  readonly base?: Step;
  /** hm only: use the toolchain on the PATH instead of installing it. */
  readonly installed?: boolean;
}

export class ZigToolchain {
  private readonly _installed: Step;

  constructor(installed: Step) {
    this._installed = installed;
  }

  install(): Step {
    return this._installed;
  }

  /** A toolchain whose projects' actions fork from `cmd` (e.g. a generation step of build.zig). */
  setup(cmd: string, opts?: StepOptions): ZigToolchain {
    return new ZigToolchain(this._installed.sh(cmd, opts));
  }

  project(path = "."): ZigProject {
    return new ZigProject(path, this._installed);
  }
}

export class ZigProject extends InstalledIn {
  /** A project whose actions fork from `cmd`, run after the install. */
  setup(cmd: string, opts?: StepOptions): ZigProject {
    return new ZigProject(this.path, this._installed.sh(cmd, opts));
  }

  build(opts?: ActionOptions): Step {
    return this.action("build", "zig build", opts);
  }

  test(opts?: ActionOptions): Step {
    return this.action("test", "zig build test", opts);
  }

  fmt(opts?: ActionOptions): Step {
    return this.action("fmt", "zig fmt --check .", opts);
  }

  /** Labels name the path: one pipeline often holds several Zig projects. */
  private action(name: string, cmd: string, opts: ActionOptions | undefined): Step {
    return actionStep(
      `ZigProject.${name}`,
      this._installed,
      this.path,
      cmd,
      `:zig: ${this.path} ${name}`,
      opts,
    );
  }
}

/**
 * Zig 0.14.1 renamed its release tarballs from zig-linux-<arch>-* to
 * zig-<arch>-linux-*; `$arch` is set when the step runs (`archCase`).
 */
function tarballOf(version: string): string {
  const [major = 0, minor = 0, patch = 0] = version.split(".").map(Number);
  const renamed = major !== 0 || minor > 14 || (minor === 14 && patch >= 1);
  return renamed ? `zig-$arch-linux-${version}.tar.xz` : `zig-linux-$arch-${version}.tar.xz`;
}

export function zig(opts: ZigOptions & { path: string }): ZigProject;
export function zig(opts?: ZigOptions): ZigToolchain;
export function zig(opts?: ZigOptions): ZigToolchain | ZigProject {
  checkOptions("zig", opts, ["path", "version", "image", "base", "installed"]);
  const toolchain = new ZigToolchain(
    wantsInstalled("zig", opts, ["version"])
      ? useInstalled({
          where: "zig",
          tag: "zig",
          commands: ["zig"],
          versions: "zig version",
          image: opts?.image,
          base: opts?.base,
        })
      : zigInstalled(opts),
  );
  return opts?.path != null ? toolchain.project(opts.path) : toolchain;
}

function zigInstalled(opts: ZigOptions | undefined): Step {
  const version = opts?.version ?? "0.14.1";
  if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(version)) {
    throw new SdkError(`zig: invalid version "${version}"`, { hint: 'give a semver such as "0.14.1"' });
  }
  const installCmd = [
    archCase("zig", "arch", { x86_64: "x86_64", aarch64: "aarch64" }),
    `curl -fsSL https://ziglang.org/download/${version}/${tarballOf(version)} -o /tmp/zig.tar.xz`,
    "rm -rf /usr/local/zig && mkdir -p /usr/local/zig",
    "tar -xJf /tmp/zig.tar.xz -C /usr/local/zig --strip-components=1",
    "ln -sf /usr/local/zig/zig /usr/local/bin/zig",
    "zig version",
  ].join(" && ");
  return installChain({
    aptPackages: ["curl", "ca-certificates", "xz-utils"],
    installCmd,
    installCache: forever(),
    tag: "zig",
    installLabel: "install",
    image: opts?.image,
    base: opts?.base,
  });
}
