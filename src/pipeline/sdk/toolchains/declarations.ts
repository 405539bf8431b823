/**
 * Type declarations of `@harmont/hm/toolchains`, written by `hm init` into
 * `.hm/types/hm-toolchains.d.ts` (see `../declarations.ts`). A test checks
 * that they name exactly what the module exports and type-checks every
 * template against them.
 */
export const TOOLCHAIN_DECLARATIONS = `// Written by hm init: types of the toolchain helpers hm embeds. Regenerate with hm init --force.
import type { CachePolicy, Step, StepOptions } from "@harmont/hm";

/** Options of a toolchain action: a step's options but cwd (the toolchain runs in its path). */
type ActionOptions = Omit<StepOptions, "cwd">;
type Base = {
  readonly image?: string;
  readonly base?: Step;
  /**
   * hm only: use the toolchain already on the PATH (of the image, or of this machine under the
   * shell runner) instead of installing it; one step checks each command is there. Options that
   * choose what to install (version, …) cannot go with it.
   */
  readonly installed?: boolean;
};

export declare function aptBase(opts: { packages: readonly string[]; image?: string; label?: string }): Step;

export interface JsOptions extends Base {
  readonly path?: string;
  /** Detected from package.json and lockfiles when neither pm nor runtime is given. */
  readonly pm?: "npm" | "pnpm" | "yarn-classic" | "yarn-berry" | "bun";
  readonly runtime?: "node" | "bun" | "deno";
  /** Node: a major ("22"); bun and deno: a semver ("1.2.3"). */
  readonly version?: string;
}
export declare class JsProject {
  private constructor();
  readonly path: string;
  install(): Step;
  setup(cmd: string, opts?: StepOptions): JsProject;
  /** Runs a package.json script (a deno task on deno). */
  run(script: string, opts?: ActionOptions): Step;
}
export declare const js: { project(opts?: JsOptions): JsProject };
export declare const ts: { project(opts?: JsOptions): JsProject };

export interface GoOptions extends Base { readonly path?: string; readonly version?: string }
export declare class GoToolchain {
  private constructor();
  readonly path: string;
  install(): Step;
  setup(cmd: string, opts?: StepOptions): GoToolchain;
  build(opts?: ActionOptions): Step;
  test(opts?: ActionOptions): Step;
  vet(opts?: ActionOptions): Step;
  fmt(opts?: ActionOptions): Step;
}
export declare function go(opts?: GoOptions): GoToolchain;

export interface CargoOptions {
  readonly workspace?: boolean;
  readonly packages?: readonly string[];
  readonly exclude?: readonly string[];
  readonly allFeatures?: boolean;
  readonly noDefaultFeatures?: boolean;
  readonly features?: readonly string[];
  readonly target?: string;
  readonly allTargets?: boolean;
  readonly release?: boolean;
  readonly profile?: string;
  /** On unless false. */
  readonly locked?: boolean;
  readonly flags?: readonly string[];
}
type CargoAction = CargoOptions & ActionOptions & { readonly addTarget?: boolean };
type ClippyOptions = CargoAction & { readonly denyWarnings?: boolean; readonly extraLints?: readonly string[] };
type FmtOptions = ActionOptions & { readonly all?: boolean; readonly check?: boolean; readonly flags?: readonly string[] };
type DocOptions = CargoAction & { readonly noDeps?: boolean; readonly documentPrivateItems?: boolean; readonly denyWarnings?: boolean };
export interface FeaturePowersetOptions extends ActionOptions {
  readonly subcommand?: string;
  readonly depth?: number;
  readonly eachFeature?: boolean;
  readonly noDevDeps?: boolean;
  readonly skip?: readonly string[];
  readonly includeFeatures?: readonly string[];
  readonly keepGoing?: boolean;
  readonly flags?: readonly string[];
}
export interface RustToolchainOptions extends Base {
  readonly path?: string;
  readonly version?: string;
  readonly components?: readonly string[];
}
export interface RustProjectOptions extends RustToolchainOptions { readonly cache?: CachePolicy }
export declare class RustToolchain {
  private constructor();
  readonly path: string;
  install(): Step;
  setup(cmd: string, opts?: StepOptions): RustToolchain;
  build(opts?: CargoAction): Step;
  test(opts?: CargoAction & { readonly nextest?: boolean }): Step;
  doctest(opts?: CargoAction): Step;
  clippy(opts?: ClippyOptions): Step;
  fmt(opts?: FmtOptions): Step;
  doc(opts?: DocOptions): Step;
  warmup(opts?: ActionOptions): Step;
  featurePowerset(opts?: FeaturePowersetOptions): Step;
}
export declare class RustProject {
  private constructor();
  readonly toolchain: RustToolchain;
  readonly warmup: Step;
  build(opts?: CargoAction): Step;
  test(opts?: CargoAction & { readonly nextest?: boolean }): Step;
  doctest(opts?: CargoAction): Step;
  clippy(opts?: ClippyOptions): Step;
  fmt(opts?: FmtOptions): Step;
  doc(opts?: DocOptions): Step;
  featurePowerset(opts?: FeaturePowersetOptions): Step;
  /** test, clippy and fmt (plus doctest with nextest, and doc when asked). */
  ci(opts?: { readonly nextest?: boolean; readonly doc?: boolean }): Step[];
}
export declare const rust: {
  toolchain(opts?: RustToolchainOptions): RustToolchain;
  project(opts?: RustProjectOptions): RustProject;
};

type TypecheckOptions = ActionOptions & { readonly paths?: string | readonly string[] };
export interface PythonOptions extends Base { readonly path?: string; readonly uvVersion?: string }
export declare class PythonToolchain {
  private constructor();
  readonly path: string;
  install(): Step;
  setup(cmd: string, opts?: StepOptions): PythonToolchain;
  test(opts?: ActionOptions): Step;
  lint(opts?: ActionOptions): Step;
  fmt(opts?: ActionOptions): Step;
  typecheck(opts?: TypecheckOptions): Step;
}
export declare function python(opts?: PythonOptions): PythonToolchain;
export interface UvOptions extends Base { readonly path?: string; readonly version?: string }
declare class UvProject {
  private constructor();
  readonly path: string;
  install(): Step;
  test(opts?: ActionOptions): Step;
  lint(opts?: ActionOptions): Step;
  fmt(opts?: ActionOptions): Step;
  typecheck(opts?: TypecheckOptions): Step;
  run(cmd: string, opts?: ActionOptions): Step;
  build(opts?: ActionOptions): Step;
  lockCheck(opts?: ActionOptions): Step;
  publish(opts?: ActionOptions): Step;
}
export declare const py: { uv(opts?: UvOptions): UvProject; UvProject: typeof UvProject };

export interface CMakeToolchainOptions extends Base {
  /** "gcc", "gcc-14", "clang" or "clang-18". */
  readonly compiler?: string;
  readonly generator?: "ninja" | "make";
  readonly ccache?: boolean;
}
export interface CMakeProjectOptions {
  readonly path?: string;
  readonly preset?: string;
  readonly defines?: Record<string, string>;
  readonly deps?: "vcpkg" | null;
  readonly target?: string;
  readonly cache?: CachePolicy;
}
export type CMakeOptions = CMakeToolchainOptions & CMakeProjectOptions;
export declare class CMakeToolchain {
  private constructor();
  install(): Step;
  setup(cmd: string, opts?: StepOptions): CMakeToolchain;
  project(opts?: CMakeProjectOptions): CMakeProject;
}
export declare class CMakeProject {
  private constructor();
  readonly path: string;
  readonly toolchain: CMakeToolchain;
  build(): Step;
  test(opts?: ActionOptions & { readonly parallel?: boolean }): Step;
  install(opts?: ActionOptions & { readonly prefix?: string }): Step;
  fmt(opts?: ActionOptions & { readonly fix?: boolean }): Step;
  lint(opts?: ActionOptions): Step;
  package(opts?: ActionOptions & { readonly generator?: string }): Step;
}
export declare const cmake: {
  (opts: CMakeOptions & { path: string }): CMakeProject;
  (opts?: CMakeToolchainOptions): CMakeToolchain;
};

export interface ZigOptions extends Base { readonly path?: string; readonly version?: string }
export declare class ZigToolchain {
  private constructor();
  install(): Step;
  setup(cmd: string, opts?: StepOptions): ZigToolchain;
  project(path?: string): ZigProject;
}
export declare class ZigProject {
  private constructor();
  readonly path: string;
  install(): Step;
  setup(cmd: string, opts?: StepOptions): ZigProject;
  build(opts?: ActionOptions): Step;
  test(opts?: ActionOptions): Step;
  fmt(opts?: ActionOptions): Step;
}
export declare const zig: { (opts: ZigOptions & { path: string }): ZigProject; (opts?: ZigOptions): ZigToolchain };

export interface ElixirOptions extends Base {
  readonly path?: string;
  readonly elixirVersion?: string;
  readonly otpVersion?: string;
}
export declare class ElixirProject {
  private constructor();
  readonly path: string;
  install(): Step;
  setup(cmd: string, opts?: StepOptions): ElixirProject;
  compile(opts?: ActionOptions): Step;
  test(opts?: ActionOptions & { readonly cover?: boolean; readonly partitions?: number }): Step;
  format(opts?: ActionOptions): Step;
  credo(opts?: ActionOptions & { readonly strict?: boolean }): Step;
  plt(): Step;
  dialyzer(opts?: ActionOptions): Step;
  sobelow(opts?: ActionOptions): Step;
  depsAudit(opts?: ActionOptions): Step;
  hexAudit(opts?: ActionOptions): Step;
  mix(task: string, opts?: ActionOptions): Step;
  release(opts?: ActionOptions & { readonly mixEnv?: string }): Step;
}
export declare function elixir(opts?: ElixirOptions): ElixirProject;
`;
