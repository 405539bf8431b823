/**
 * `cmake()`: compilers, CMake, Ninja (or make), ccache and clang tools from
 * apt. With a `path` it is a project: a cached configure + build step (keyed
 * on CMakeLists.txt, or vcpkg.json with `deps: "vcpkg"`) that test, install,
 * lint and package fork from; fmt needs no build and forks off the install.
 */
import { type CachePolicy, forever, onChange } from "../cache.ts";
import { SdkError } from "../errors.ts";
import { installsSoftware } from "../host-installers.ts";
import type { Step, StepOptions } from "../step.ts";
import { installChain } from "./install.ts";
import { useInstalled, wantsInstalled } from "./installed.ts";
import { ACTION_OPTIONS, type ActionOptions, checkChoice, checkOptions, partition } from "./options.ts";

export interface CMakeToolchainOptions {
  /** "gcc", "clang", or either with a version suffix ("gcc-14", "clang-18"). */
  readonly compiler?: string;
  readonly generator?: "ninja" | "make";
  /** On unless false. */
  readonly ccache?: boolean;
  readonly image?: string;
  readonly base?: Step;
  /** hm only: use the CMake, generator, ccache and compiler on the PATH instead of installing them with apt. */
  readonly installed?: boolean;
}

export interface CMakeProjectOptions {
  readonly path?: string;
  readonly preset?: string;
  readonly defines?: Record<string, string>;
  readonly deps?: "vcpkg" | null;
  /** The build target of the configure + build step. */
  readonly target?: string;
  readonly cache?: CachePolicy;
}

export type CMakeOptions = CMakeToolchainOptions & CMakeProjectOptions;

const TOOLCHAIN_OPTIONS = ["compiler", "generator", "ccache", "image", "base", "installed"];
const PROJECT_OPTIONS = ["path", "preset", "defines", "deps", "target", "cache"];

interface Compiler {
  /** The C compiler's command, which is also its apt package. */
  readonly cc: string;
  readonly cxx: string;
  readonly packages: readonly string[];
}

function compilerNamed(name: string): Compiler {
  const match = /^(gcc|clang)(-\d+)?$/.exec(name);
  if (match === null) {
    throw new SdkError(`cmake: unsupported compiler "${name}"`, {
      hint: 'use "gcc", "gcc-14", "clang" or "clang-18"',
    });
  }
  const version = match[2] ?? "";
  return match[1] === "gcc"
    ? { cc: `gcc${version}`, cxx: `g++${version}`, packages: [`gcc${version}`, `g++${version}`] }
    : { cc: `clang${version}`, cxx: `clang++${version}`, packages: [`clang${version}`, `lld${version}`] };
}

export class CMakeToolchain {
  private readonly _installed: Step;
  readonly compiler: string | undefined;
  readonly ccache: boolean;
  readonly generator: string;

  constructor(installed: Step, compiler: string | undefined, ccache: boolean, generator: string) {
    this._installed = installed;
    this.compiler = compiler;
    this.ccache = ccache;
    this.generator = generator;
  }

  install(): Step {
    return this._installed;
  }

  /** A toolchain whose projects build after `cmd` (e.g. a script that fetches vendored libraries). */
  setup(cmd: string, opts?: StepOptions): CMakeToolchain {
    return new CMakeToolchain(this._installed.sh(cmd, opts), this.compiler, this.ccache, this.generator);
  }

  project(opts?: CMakeProjectOptions): CMakeProject {
    checkOptions("CMakeToolchain.project", opts, PROJECT_OPTIONS);
    checkChoice("CMakeToolchain.project", "deps", opts?.deps ?? undefined, ["vcpkg"]);
    const path = opts?.path ?? ".";
    const buildCmd = `${this.configureCmd(path, opts)} && ${cmakeBuild("build", opts?.target)}`;
    let parent = this._installed;
    let cache = opts?.cache ?? onChange(path === "." ? "CMakeLists.txt" : `${path}/CMakeLists.txt`);
    if (opts?.deps === "vcpkg") {
      const vcpkg = [
        "git clone https://github.com/microsoft/vcpkg.git /opt/vcpkg",
        "/opt/vcpkg/bootstrap-vcpkg.sh",
        `cd ${path} && /opt/vcpkg/vcpkg install`,
      ].join(" && ");
      parent = installsSoftware(parent.sh(vcpkg, { label: ":cmake: vcpkg", cache: onChange("vcpkg.json") }));
      cache = opts.cache ?? onChange("vcpkg.json");
    }
    return new CMakeProject(this, parent.sh(buildCmd, { label: ":cmake: build", cache }), path);
  }

  private configureCmd(path: string, opts: CMakeProjectOptions | undefined): string {
    if (opts?.preset != null) return `cd ${path} && cmake --preset ${opts.preset}`;
    const args = [
      `cd ${path} && cmake -S . -B build`,
      `-G ${this.generator === "ninja" ? "Ninja" : "Unix Makefiles"}`,
      "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
    ];
    if (this.ccache) args.push("-DCMAKE_C_COMPILER_LAUNCHER=ccache", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
    if (this.compiler !== undefined) {
      const { cc, cxx } = compilerNamed(this.compiler);
      args.push(`-DCMAKE_C_COMPILER=${cc}`, `-DCMAKE_CXX_COMPILER=${cxx}`);
    }
    for (const [name, value] of Object.entries(opts?.defines ?? {})) args.push(`-D${name}=${value}`);
    return args.join(" ");
  }
}

function cmakeBuild(buildDir: string, target?: string): string {
  return `cmake --build ${buildDir} --parallel $(nproc)${target != null ? ` --target ${target}` : ""}`;
}

export class CMakeProject {
  readonly toolchain: CMakeToolchain;
  private readonly _built: Step;
  readonly path: string;

  constructor(toolchain: CMakeToolchain, built: Step, path: string) {
    this.toolchain = toolchain;
    this._built = built;
    this.path = path;
  }

  /** The cached configure + build step. */
  build(): Step {
    return this._built;
  }

  test(opts?: ActionOptions & { readonly parallel?: boolean }): Step {
    const [own, step] = this.split("test", opts, ["parallel"]);
    const parallel = (own.parallel ?? true) ? " --parallel $(nproc)" : "";
    const cmd = `${cmakeBuild(`${this.path}/build`)} && ctest --test-dir ${this.path}/build --output-on-failure${parallel}`;
    return this._built.sh(cmd, { label: ":cmake: test", ...step });
  }

  install(opts?: ActionOptions & { readonly prefix?: string }): Step {
    const [own, step] = this.split("install", opts, ["prefix"]);
    const prefix = own.prefix ? ` --prefix ${own.prefix}` : "";
    return this._built.sh(`cmake --install ${this.path}/build${prefix}`, {
      label: ":cmake: install",
      ...step,
    });
  }

  /** clang-format over C and C++ sources outside build/: a check, or in place with `fix`. */
  fmt(opts?: ActionOptions & { readonly fix?: boolean }): Step {
    const [own, step] = this.split("fmt", opts, ["fix"]);
    const cmd =
      `cd ${this.path} && find . -not -path './build/*' \\( -name '*.c' -o -name '*.h' ` +
      `-o -name '*.cpp' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cxx' \\) | ` +
      `xargs clang-format ${own.fix ? "-i" : "--dry-run --Werror"}`;
    return this.toolchain.install().sh(cmd, { label: ":cmake: fmt", ...step });
  }

  lint(opts?: ActionOptions): Step {
    const [, step] = this.split("lint", opts, []);
    return this._built.sh(`cd ${this.path} && run-clang-tidy -p build`, { label: ":cmake: lint", ...step });
  }

  /** cpack, with its generator (`-G`) when given. */
  package(opts?: ActionOptions & { readonly generator?: string }): Step {
    const [own, step] = this.split("package", opts, ["generator"]);
    const generator = own.generator ? ` -G ${own.generator}` : "";
    return this._built.sh(`cd ${this.path}/build && cpack${generator}`, {
      label: ":cmake: package",
      ...step,
    });
  }

  private split(method: string, opts: object | undefined, own: readonly string[]) {
    checkOptions(`CMakeProject.${method}`, opts, [...ACTION_OPTIONS, ...own]);
    return partition(opts, own) as [Record<string, string | boolean | undefined>, ActionOptions];
  }
}

export function cmake(opts: CMakeOptions & { path: string }): CMakeProject;
export function cmake(opts?: CMakeToolchainOptions): CMakeToolchain;
export function cmake(opts?: CMakeOptions): CMakeToolchain | CMakeProject {
  checkOptions("cmake", opts, [...TOOLCHAIN_OPTIONS, ...PROJECT_OPTIONS]);
  const generator = opts?.generator ?? "ninja";
  checkChoice("cmake", "generator", generator, ["ninja", "make"]);
  const compiler = opts?.compiler === undefined ? undefined : compilerNamed(opts.compiler);
  const ccache = opts?.ccache ?? true;
  const packages = ["cmake", "build-essential", "pkg-config"];
  const versions = ["cmake --version"];
  if (generator === "ninja") {
    packages.push("ninja-build");
    versions.push("ninja --version");
  }
  if (ccache) {
    packages.push("ccache");
    versions.push("ccache --version");
  }
  packages.push("clang-format", "clang-tidy", ...(compiler?.packages ?? []));
  if (compiler !== undefined) versions.push(`${compiler.cc} --version`);
  const commands = ["cmake", ...(generator === "ninja" ? ["ninja"] : []), ...(ccache ? ["ccache"] : [])];
  commands.push(compiler?.cc ?? "cc");
  const installed = wantsInstalled("cmake", opts, [])
    ? useInstalled({
        where: "cmake",
        tag: "cmake",
        commands,
        versions: versions.join(" && "),
        image: opts?.image,
        base: opts?.base,
      })
    : installChain({
        aptPackages: packages,
        installCmd: versions.join(" && "),
        installCache: forever(),
        tag: "cmake",
        installLabel: "verify",
        installs: false,
        image: opts?.image,
        base: opts?.base,
      });
  const toolchain = new CMakeToolchain(installed, opts?.compiler, ccache, generator);
  if (opts?.path == null) return toolchain;
  const [projectOpts] = partition(opts, PROJECT_OPTIONS);
  return toolchain.project(projectOpts);
}
