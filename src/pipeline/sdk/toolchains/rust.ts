/**
 * `rust.toolchain()` and `rust.project()`. A toolchain installs rustup and
 * forks each cargo action off the install. A project adds a cached warmup
 * build (`cargo build --workspace --tests`, keyed on Cargo.lock, Cargo.toml
 * files and sources) that its actions fork from, so they share one compile;
 * its actions default to `--workspace`.
 */
import { type CachePolicy, forever, onChange } from "../cache.ts";
import type { Step, StepOptions } from "../step.ts";
import { CARGO_OPTIONS, type CargoOptions, cargoFlags, shellQuote } from "./cargo.ts";
import { installChain } from "./install.ts";
import { ACTION_OPTIONS, type ActionOptions, checkOptions, partition } from "./options.ts";

export interface RustToolchainOptions {
  readonly path?: string;
  /** "stable", "nightly" or a version such as "1.81.0". */
  readonly version?: string;
  readonly image?: string;
  /** rustup components; clippy and rustfmt unless given. */
  readonly components?: readonly string[];
  readonly base?: Step;
}

export interface RustProjectOptions extends RustToolchainOptions {
  /** The warmup build's cache; on change of Cargo.lock, Cargo.toml files and *.rs unless given. */
  readonly cache?: CachePolicy;
}

type CargoAction = CargoOptions & ActionOptions & { readonly addTarget?: boolean };
type TestOptions = CargoAction & { readonly nextest?: boolean };
type ClippyOptions = CargoAction & {
  readonly denyWarnings?: boolean;
  readonly extraLints?: readonly string[];
};
type FmtOptions = ActionOptions & {
  readonly all?: boolean;
  readonly check?: boolean;
  readonly flags?: readonly string[];
};
type DocOptions = CargoAction & {
  readonly noDeps?: boolean;
  readonly documentPrivateItems?: boolean;
  readonly denyWarnings?: boolean;
};

export interface FeaturePowersetOptions extends ActionOptions {
  /** The cargo subcommand cargo-hack runs; "check" unless given. */
  readonly subcommand?: string;
  readonly depth?: number;
  readonly eachFeature?: boolean;
  readonly noDevDeps?: boolean;
  readonly skip?: readonly string[];
  readonly includeFeatures?: readonly string[];
  readonly keepGoing?: boolean;
  readonly flags?: readonly string[];
}

const TOOLCHAIN_OPTIONS = ["path", "version", "image", "components", "base"];
const WARMUP_CMD = "cargo build --workspace --tests --locked";
const CARGO_ENV = ". $HOME/.cargo/env";

/** A cargo command: its shell text, label and step options. */
interface CargoStep {
  readonly cmd: string;
  readonly label: string;
  readonly step: ActionOptions;
}

/** Reads a cargo action's options: cargo flags (over `defaults`), the action's own options, step options. */
function cargoAction(
  where: string,
  opts: object | undefined,
  own: readonly string[],
  defaults: CargoOptions,
): { cargo: CargoOptions; own: Record<string, unknown>; step: ActionOptions; addTarget: boolean } {
  checkOptions(where, opts, [...CARGO_OPTIONS, ...ACTION_OPTIONS, "addTarget", ...own]);
  const [picked, rest] = partition(opts, [...CARGO_OPTIONS, "addTarget", ...own]);
  const { addTarget, ...cargoAndOwn } = picked;
  const [ownOpts, cargo] = partition(cargoAndOwn, own);
  return { cargo: { ...defaults, ...cargo }, own: ownOpts, step: rest, addTarget: addTarget !== false };
}

/** Adds the target with rustup first when a target is given (unless `addTarget: false`). */
function withTarget(cmd: string, cargo: CargoOptions, addTarget: boolean): string {
  return cargo.target !== undefined && addTarget
    ? `rustup target add ${shellQuote(cargo.target)} && ${cmd}`
    : cmd;
}

function buildStep(kind: string, opts: CargoAction | undefined, defaults: CargoOptions): CargoStep {
  const { cargo, step, addTarget } = cargoAction(`${kind}.build`, opts, [], defaults);
  return {
    cmd: withTarget(`cargo build${cargoFlags(cargo)}`, cargo, addTarget),
    label: ":rust: build",
    step,
  };
}

function testStep(kind: string, opts: TestOptions | undefined, defaults: CargoOptions): CargoStep {
  const { cargo, own, step, addTarget } = cargoAction(`${kind}.test`, opts, ["nextest"], defaults);
  const runner = own.nextest ? "cargo nextest run" : "cargo test";
  return { cmd: withTarget(`${runner}${cargoFlags(cargo)}`, cargo, addTarget), label: ":rust: test", step };
}

function doctestStep(kind: string, opts: CargoAction | undefined, defaults: CargoOptions): CargoStep {
  const { cargo, step, addTarget } = cargoAction(`${kind}.doctest`, opts, [], defaults);
  return {
    cmd: withTarget(`cargo test${cargoFlags(cargo)} --doc`, cargo, addTarget),
    label: ":rust: doctest",
    step,
  };
}

function clippyStep(kind: string, opts: ClippyOptions | undefined, defaults: CargoOptions): CargoStep {
  const { cargo, own, step, addTarget } = cargoAction(
    `${kind}.clippy`,
    opts,
    ["denyWarnings", "extraLints"],
    { ...defaults, allTargets: true },
  );
  const lints = [
    ...(own.denyWarnings === false ? [] : ["-D warnings"]),
    ...((own.extraLints as string[]) ?? []),
  ];
  const cmd = `cargo clippy${cargoFlags(cargo)}${lints.length > 0 ? ` -- ${lints.join(" ")}` : ""}`;
  return { cmd: withTarget(cmd, cargo, addTarget), label: ":rust: clippy", step };
}

function docStep(kind: string, opts: DocOptions | undefined, defaults: CargoOptions): CargoStep {
  const { cargo, own, step, addTarget } = cargoAction(
    `${kind}.doc`,
    opts,
    ["noDeps", "documentPrivateItems", "denyWarnings"],
    defaults,
  );
  const before = [
    ...(own.noDeps === false ? [] : [" --no-deps"]),
    ...(own.documentPrivateItems ? [" --document-private-items"] : []),
  ].join("");
  // Doc warnings fail the step unless denyWarnings is false; the step's own env wins.
  const env =
    own.denyWarnings === false ? step : { ...step, env: { RUSTDOCFLAGS: "-D warnings", ...step.env } };
  return {
    cmd: withTarget(`cargo doc${before}${cargoFlags(cargo)}`, cargo, addTarget),
    label: ":rust: doc",
    step: env,
  };
}

function fmtCmd(opts: FmtOptions | undefined): { cmd: string; step: ActionOptions } {
  const [own, step] = partition(opts, ["all", "check", "flags"]);
  const words = ["cargo fmt"];
  if (own.all !== false) words.push("--all");
  if (own.check !== false) words.push("--check");
  words.push(...((own.flags as string[] | undefined) ?? []));
  return { cmd: words.join(" "), step };
}

function hackCmd(own: Record<string, unknown>): string {
  const o = own as Omit<FeaturePowersetOptions, keyof ActionOptions>;
  const words = ["cargo hack", o.subcommand ?? "check"];
  if (o.eachFeature) words.push("--each-feature");
  else words.push("--feature-powerset", "--depth", String(o.depth ?? 2));
  if (o.noDevDeps ?? true) words.push("--no-dev-deps");
  if (o.skip?.length) words.push(`--skip ${o.skip.map(shellQuote).join(",")}`);
  if (o.includeFeatures?.length)
    words.push(`--include-features ${o.includeFeatures.map(shellQuote).join(",")}`);
  if (o.keepGoing) words.push("--keep-going");
  words.push(...(o.flags ?? []));
  return words.join(" ");
}

const POWERSET_OPTIONS = [
  "subcommand",
  "depth",
  "eachFeature",
  "noDevDeps",
  "skip",
  "includeFeatures",
  "keepGoing",
  "flags",
];

export class RustToolchain {
  readonly path: string;
  private readonly _installed: Step;

  constructor(path: string, installed: Step) {
    this.path = path;
    this._installed = installed;
  }

  install(): Step {
    return this._installed;
  }

  /** A toolchain whose actions fork from `cmd`, run after the install (e.g. `cargo install sqlx-cli`). */
  setup(cmd: string, opts?: StepOptions): RustToolchain {
    return new RustToolchain(this.path, this._installed.sh(cmd, opts));
  }

  /** `cmd` in the crate directory, with cargo on the PATH, forked off `parent` (the install unless given). */
  _cargo(cmd: string, label: string, opts?: ActionOptions, parent: Step = this._installed): Step {
    return parent.sh(`${CARGO_ENV} && cd ${this.path} && ${cmd}`, { label, ...opts });
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
    const hackInstalled = this._installed.sh(`${CARGO_ENV} && cargo install cargo-hack --locked`, {
      label: ":rust: install cargo-hack",
      cache: forever(),
    });
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
  const version = opts?.version ?? "stable";
  if (!/^[a-z0-9.-]+$/.test(version)) {
    throw new Error(
      `hm: rust: invalid version "${version}"\n  → use "stable", "nightly" or a version such as "1.81.0"`,
    );
  }
  const components = opts?.components ?? ["clippy", "rustfmt"];
  const componentFlag = components.length > 0 ? ` --component ${components.join(",")}` : "";
  const installCmd =
    `curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --default-toolchain ${version} --profile minimal${componentFlag}` +
    ` && ${CARGO_ENV} && rustc --version && cargo --version`;
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
