/**
 * `rust.toolchain()` and `rust.project()`. A toolchain installs rustup and
 * forks each cargo action off the install. A project adds a cached warmup
 * build (`cargo build --workspace --tests`, keyed on Cargo.lock, Cargo.toml
 * files and sources) that its actions fork from, so they share one compile;
 * its actions default to `--workspace`.
 */
import { type CachePolicy, forever, onChange } from "../cache.ts";
import { SdkError } from "../errors.ts";
import { installsSoftware } from "../host-installers.ts";
import type { Step, StepOptions } from "../step.ts";
import type { CargoOptions } from "./cargo.ts";
import {
  buildStep,
  type CargoAction,
  type CargoStep,
  type ClippyOptions,
  clippyStep,
  type DocOptions,
  docStep,
  doctestStep,
  type FeaturePowersetOptions,
  type FmtOptions,
  fmtCmd,
  hackCmd,
  POWERSET_OPTIONS,
  type TestOptions,
  testStep,
} from "./cargo-actions.ts";
import { fetchThenRun } from "./downloads.ts";
import { InstalledIn, installChain } from "./install.ts";
import { useInstalled, wantsInstalled } from "./installed.ts";
import { ACTION_OPTIONS, type ActionOptions, checkOptions, partition } from "./options.ts";

export interface RustToolchainOptions {
  readonly path?: string;
  /** "stable", "nightly" or a version such as "1.81.0". */
  readonly version?: string;
  readonly image?: string;
  /** rustup components; clippy and rustfmt unless given. */
  readonly components?: readonly string[];
  readonly base?: Step;
  /** hm only: use the cargo and rustc on the PATH (or in ~/.cargo) instead of installing rustup. */
  readonly installed?: boolean;
}

export interface RustProjectOptions extends RustToolchainOptions {
  /** The warmup build's cache; on change of Cargo.lock, Cargo.toml files and *.rs unless given. */
  readonly cache?: CachePolicy;
}

const TOOLCHAIN_OPTIONS = ["path", "version", "image", "components", "base", "installed"];
const WARMUP_CMD = "cargo build --workspace --tests --locked";
const CARGO_ENV = ". $HOME/.cargo/env";
/** An installed Rust may come from the distribution, without rustup's env file. */
const CARGO_ENV_IF_ANY = "{ [ ! -f $HOME/.cargo/env ] || . $HOME/.cargo/env; }";

export class RustToolchain extends InstalledIn {
  /** What puts cargo on the PATH before each cargo command. */
  private readonly _cargoEnv: string;

  constructor(path: string, installed: Step, cargoEnv = CARGO_ENV) {
    super(path, installed);
    this._cargoEnv = cargoEnv;
  }

  /** A toolchain whose actions fork from `cmd`, run after the install (e.g. installing a cargo subcommand). */
  setup(cmd: string, opts?: StepOptions): RustToolchain {
    return new RustToolchain(this.path, this._installed.sh(cmd, opts), this._cargoEnv);
  }

  /** `cmd` in the crate directory, with cargo on the PATH, forked off `parent` (the install unless given). */
  _cargo(cmd: string, label: string, opts?: ActionOptions, parent: Step = this._installed): Step {
    return parent.sh(`${this._cargoEnv} && cd ${this.path} && ${cmd}`, { label, ...opts });
  }

  build(opts?: CargoAction): Step {
    return this.emit(buildStep("RustToolchain", opts, {}));
  }

  test(opts?: TestOptions): Step {
    return this.emit(testStep("RustToolchain", opts, {}));
  }

  doctest(opts?: CargoAction): Step {
    return this.emit(doctestStep("RustToolchain", opts, {}));
  }

  clippy(opts?: ClippyOptions): Step {
    return this.emit(clippyStep("RustToolchain", opts, {}));
  }

  fmt(opts?: FmtOptions): Step {
    checkOptions("RustToolchain.fmt", opts, [...ACTION_OPTIONS, "all", "check", "flags"]);
    const { cmd, step } = fmtCmd(opts);
    return this._cargo(cmd, ":rust: fmt", step);
  }

  doc(opts?: DocOptions): Step {
    return this.emit(docStep("RustToolchain", opts, {}));
  }

  warmup(opts?: ActionOptions): Step {
    checkOptions("RustToolchain.warmup", opts, ACTION_OPTIONS);
    return this._cargo(WARMUP_CMD, ":rust: warmup", opts);
  }

  /** cargo-hack over feature combinations; cargo-hack's install is cached and shared by every path. */
  featurePowerset(opts?: FeaturePowersetOptions): Step {
    checkOptions("RustToolchain.featurePowerset", opts, [...ACTION_OPTIONS, ...POWERSET_OPTIONS]);
    const [own, step] = partition(opts, POWERSET_OPTIONS);
    const hackInstalled = installsSoftware(
      this._installed.sh(`${this._cargoEnv} && cargo install cargo-hack --locked`, {
        label: ":rust: install cargo-hack",
        cache: forever(),
      }),
    );
    return this._cargo(hackCmd(own), ":rust: feature-powerset", step, hackInstalled);
  }

  private emit({ cmd, label, step }: CargoStep): Step {
    return this._cargo(cmd, label, step);
  }
}

const WORKSPACE: CargoOptions = { workspace: true };

export class RustProject {
  readonly toolchain: RustToolchain;
  readonly warmup: Step;

  constructor(toolchain: RustToolchain, warmup: Step) {
    this.toolchain = toolchain;
    this.warmup = warmup;
  }

  build(opts?: CargoAction): Step {
    return this.emit(buildStep("RustProject", opts, WORKSPACE));
  }

  test(opts?: TestOptions): Step {
    return this.emit(testStep("RustProject", opts, WORKSPACE));
  }

  doctest(opts?: CargoAction): Step {
    return this.emit(doctestStep("RustProject", opts, WORKSPACE));
  }

  clippy(opts?: ClippyOptions): Step {
    return this.emit(clippyStep("RustProject", opts, WORKSPACE));
  }

  /** Formatting needs no build: it forks off the install, not the warmup. */
  fmt(opts?: FmtOptions): Step {
    return this.toolchain.fmt(opts);
  }

  doc(opts?: DocOptions): Step {
    return this.emit(docStep("RustProject", opts, WORKSPACE));
  }

  featurePowerset(opts?: FeaturePowersetOptions): Step {
    return this.toolchain.featurePowerset(opts);
  }

  /** test, clippy and fmt (plus doctest with nextest, which skips doctests, and doc when asked). */
  ci(opts?: { readonly nextest?: boolean; readonly doc?: boolean }): Step[] {
    checkOptions("RustProject.ci", opts, ["nextest", "doc"]);
    const nextest = opts?.nextest ?? false;
    return [
      this.test({ nextest }),
      ...(nextest ? [this.doctest()] : []),
      this.clippy(),
      this.fmt(),
      ...(opts?.doc ? [this.doc()] : []),
    ];
  }

  private emit({ cmd, label, step }: CargoStep): Step {
    return this.toolchain._cargo(cmd, label, step, this.warmup);
  }
}

function toolchain(opts?: RustToolchainOptions): RustToolchain {
  checkOptions("rust.toolchain", opts, TOOLCHAIN_OPTIONS);
  return makeToolchain(opts);
}

function makeToolchain(opts: RustToolchainOptions | undefined): RustToolchain {
  if (wantsInstalled("rust", opts, ["version", "components"])) {
    const installed = useInstalled({
      where: "rust",
      tag: "rust",
      prelude: CARGO_ENV_IF_ANY,
      commands: ["cargo", "rustc"],
      versions: "rustc --version && cargo --version",
      image: opts?.image,
      base: opts?.base,
    });
    return new RustToolchain(opts?.path ?? ".", installed, CARGO_ENV_IF_ANY);
  }
  const version = opts?.version ?? "stable";
  if (!/^[a-z0-9.-]+$/.test(version)) {
    throw new SdkError(`rust: invalid version "${version}"`, {
      hint: 'use "stable", "nightly" or a version such as "1.81.0"',
    });
  }
  const components = opts?.components ?? ["clippy", "rustfmt"];
  const componentFlag = components.length > 0 ? ` --component ${components.join(",")}` : "";
  const rustup = fetchThenRun({
    url: "https://sh.rustup.rs",
    file: "/tmp/rustup-init.sh",
    curl: "--proto '=https' --tlsv1.2 -sSf",
    run: (f) => `sh ${f} -y --default-toolchain ${version} --profile minimal${componentFlag}`,
  });
  const installCmd = `${rustup} && ${CARGO_ENV} && rustc --version && cargo --version`;
  const installed = installChain({
    aptPackages: ["curl", "ca-certificates", "build-essential", "pkg-config", "libssl-dev"],
    installCmd,
    installCache: forever(),
    tag: "rust",
    installLabel: "rustup",
    image: opts?.image,
    base: opts?.base,
  });
  return new RustToolchain(opts?.path ?? ".", installed);
}

function project(opts?: RustProjectOptions): RustProject {
  checkOptions("rust.project", opts, [...TOOLCHAIN_OPTIONS, "cache"]);
  const tc = makeToolchain(opts);
  const under = (p: string) => (tc.path === "." ? p : `${tc.path}/${p}`);
  const cache = opts?.cache ?? onChange(under("Cargo.lock"), under("**/Cargo.toml"), under("**/*.rs"));
  return new RustProject(tc, tc._cargo(WARMUP_CMD, ":rust: warmup", { cache }));
}

export const rust = { toolchain, project };
