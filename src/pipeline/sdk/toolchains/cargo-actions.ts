/**
 * The cargo actions of the Rust toolchain (build, test, doctest, clippy, doc,
 * fmt, cargo-hack): each reads its options — cargo flags, its own options,
 * step options — and gives the command, label and step options. Toolchains
 * fork them off the install; projects off their warmup, with `--workspace`.
 */
import { CARGO_OPTIONS, type CargoOptions, cargoFlags, shellQuote } from "./cargo.ts";
import { ACTION_OPTIONS, type ActionOptions, checkOptions, partition } from "./options.ts";

export type CargoAction = CargoOptions & ActionOptions & { readonly addTarget?: boolean };
export type TestOptions = CargoAction & { readonly nextest?: boolean };
export type ClippyOptions = CargoAction & {
  readonly denyWarnings?: boolean;
  readonly extraLints?: readonly string[];
};
export type FmtOptions = ActionOptions & {
  readonly all?: boolean;
  readonly check?: boolean;
  readonly flags?: readonly string[];
};
export type DocOptions = CargoAction & {
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

/** A cargo command: its shell text, label and step options. */
export interface CargoStep {
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

export function buildStep(kind: string, opts: CargoAction | undefined, defaults: CargoOptions): CargoStep {
  const { cargo, step, addTarget } = cargoAction(`${kind}.build`, opts, [], defaults);
  return {
    cmd: withTarget(`cargo build${cargoFlags(cargo)}`, cargo, addTarget),
    label: ":rust: build",
    step,
  };
}

export function testStep(kind: string, opts: TestOptions | undefined, defaults: CargoOptions): CargoStep {
  const { cargo, own, step, addTarget } = cargoAction(`${kind}.test`, opts, ["nextest"], defaults);
  const runner = own.nextest ? "cargo nextest run" : "cargo test";
  return { cmd: withTarget(`${runner}${cargoFlags(cargo)}`, cargo, addTarget), label: ":rust: test", step };
}

export function doctestStep(kind: string, opts: CargoAction | undefined, defaults: CargoOptions): CargoStep {
  const { cargo, step, addTarget } = cargoAction(`${kind}.doctest`, opts, [], defaults);
  return {
    cmd: withTarget(`cargo test${cargoFlags(cargo)} --doc`, cargo, addTarget),
    label: ":rust: doctest",
    step,
  };
}

export function clippyStep(kind: string, opts: ClippyOptions | undefined, defaults: CargoOptions): CargoStep {
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

export function docStep(kind: string, opts: DocOptions | undefined, defaults: CargoOptions): CargoStep {
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

export function fmtCmd(opts: FmtOptions | undefined): { cmd: string; step: ActionOptions } {
  const [own, step] = partition(opts, ["all", "check", "flags"]);
  const words = ["cargo fmt"];
  if (own.all !== false) words.push("--all");
  if (own.check !== false) words.push("--check");
  words.push(...((own.flags as string[] | undefined) ?? []));
  return { cmd: words.join(" "), step };
}

export function hackCmd(own: Record<string, unknown>): string {
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

export const POWERSET_OPTIONS = [
  "subcommand",
  "depth",
  "eachFeature",
  "noDevDeps",
  "skip",
  "includeFeatures",
  "keepGoing",
  "flags",
];
