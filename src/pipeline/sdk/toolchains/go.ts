/** `go()`: the Go toolchain from go.dev's tarball for the machine's architecture; build, test, vet and fmt fork off the install. */
import { forever } from "../cache.ts";
import { SdkError } from "../errors.ts";
import type { Step, StepOptions } from "../step.ts";
import { archCase } from "./downloads.ts";
import { InstalledIn, installChain } from "./install.ts";
import { useInstalled, wantsInstalled } from "./installed.ts";
import { type ActionOptions, actionStep, checkOptions } from "./options.ts";

export interface GoOptions {
  readonly path?: string;
  /** "1.23" or "1.23.2". */
  readonly version?: string;
  readonly image?: string;
  readonly base?: Step;
  /** hm only: use the toolchain on the PATH instead of installing it. */
  readonly installed?: boolean;
}

export class GoToolchain extends InstalledIn {
  /** A toolchain whose actions fork from `cmd`, run after the install (e.g. a code generator). */
  setup(cmd: string, opts?: StepOptions): GoToolchain {
    return new GoToolchain(this.path, this._installed.sh(cmd, opts));
  }

  build(opts?: ActionOptions): Step {
    return this.action("build", "go build ./...", opts);
  }

  test(opts?: ActionOptions): Step {
    return this.action("test", "go test ./...", opts);
  }

  vet(opts?: ActionOptions): Step {
    return this.action("vet", "go vet ./...", opts);
  }

  fmt(opts?: ActionOptions): Step {
    return this.action("fmt", 'test -z "$(gofmt -l .)"', opts);
  }

  private action(name: string, cmd: string, opts: ActionOptions | undefined): Step {
    return actionStep(`GoToolchain.${name}`, this._installed, this.path, cmd, `:go: ${name}`, opts);
  }
}

export function go(opts?: GoOptions): GoToolchain {
  checkOptions("go", opts, ["path", "version", "image", "base", "installed"]);
  if (wantsInstalled("go", opts, ["version"])) {
    const installed = useInstalled({
      where: "go",
      tag: "go",
      commands: ["go", "gofmt"],
      versions: "go version",
      image: opts?.image,
      base: opts?.base,
    });
    return new GoToolchain(opts?.path ?? ".", installed);
  }
  const version = opts?.version ?? "1.23.2";
  if (!/^[0-9]+\.[0-9]+(\.[0-9]+)?$/.test(version)) {
    throw new SdkError(`go: invalid version "${version}"`, {
      hint: 'give a semver such as "1.23" or "1.23.2"',
    });
  }
  const installCmd = [
    archCase("go", "arch", { x86_64: "amd64", aarch64: "arm64" }),
    `curl -fsSL https://go.dev/dl/go${version}.linux-$arch.tar.gz -o /tmp/go.tgz`,
    "rm -rf /usr/local/go && tar -C /usr/local -xzf /tmp/go.tgz",
    "ln -sf /usr/local/go/bin/go /usr/local/bin/go",
    "ln -sf /usr/local/go/bin/gofmt /usr/local/bin/gofmt",
    "go version",
  ].join(" && ");
  const installed = installChain({
    aptPackages: ["curl", "ca-certificates", "git"],
    installCmd,
    installCache: forever(),
    tag: "go",
    installLabel: "install",
    image: opts?.image,
    base: opts?.base,
  });
  return new GoToolchain(opts?.path ?? ".", installed);
}
