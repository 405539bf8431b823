/**
 * `js.project()` (alias `ts`): a JS/TS project on node, bun or deno. The
 * runtime and package manager come from the options, else from the project's
 * `package.json` and lockfiles (`detect.ts`), else node with npm. The chain
 * is apt base → runtime → package manager (when the runtime lacks it) →
 * dependencies; `run(script)` forks off the dependencies. With `installed:
 * true`, one check of what is on the PATH replaces all but the dependencies.
 */
import { forever, onChange } from "../cache.ts";
import { SdkError } from "../errors.ts";
import { installsSoftware } from "../host-installers.ts";
import type { Step, StepOptions } from "../step.ts";
import { type DetectionSources, detectJsExplained, type PackageManager, type Runtime } from "./detect.ts";
import { fetchThenRun } from "./downloads.ts";
import { InstalledIn, installChain } from "./install.ts";
import { useInstalled, wantsInstalled } from "./installed.ts";
import { type ActionOptions, actionStep, checkChoice, checkOptions } from "./options.ts";
import { inProject } from "./project-dir.ts";

/** Deno manages its own dependencies: it is a package manager only as the deno runtime. */
type Installer = PackageManager | "deno";

export interface JsOptions {
  readonly path?: string;
  readonly pm?: Installer;
  readonly runtime?: Runtime;
  /** Node: a major ("22" or "22.x"); bun and deno: a semver ("1.2" or "1.2.3"). */
  readonly version?: string;
  readonly image?: string;
  readonly base?: Step;
  /** hm only: use the runtime and package manager on the PATH instead of installing them. */
  readonly installed?: boolean;
}

const RUNTIMES: readonly Runtime[] = ["node", "bun", "deno"];
const INSTALLERS: readonly Installer[] = ["npm", "pnpm", "yarn-classic", "yarn-berry", "bun", "deno"];

interface InstallerFacts {
  readonly lockfile: string;
  readonly installDeps: string;
  readonly runScript: string;
}

const INSTALLER: Record<Installer, InstallerFacts> = {
  npm: { lockfile: "package-lock.json", installDeps: "npm ci", runScript: "npm run" },
  pnpm: { lockfile: "pnpm-lock.yaml", installDeps: "pnpm install --frozen-lockfile", runScript: "pnpm run" },
  "yarn-classic": {
    lockfile: "yarn.lock",
    installDeps: "yarn install --frozen-lockfile",
    runScript: "yarn run",
  },
  "yarn-berry": { lockfile: "yarn.lock", installDeps: "yarn install --immutable", runScript: "yarn run" },
  bun: { lockfile: "bun.lock", installDeps: "bun install --frozen-lockfile", runScript: "bun run" },
  deno: { lockfile: "deno.lock", installDeps: "deno install", runScript: "deno task" },
};

/** The command each package manager is run as. */
const PM_COMMAND: Record<PackageManager, string> = {
  npm: "npm",
  pnpm: "pnpm",
  "yarn-classic": "yarn",
  "yarn-berry": "yarn",
  bun: "bun",
};

export class JsProject extends InstalledIn {
  private readonly _pm: Installer;
  private readonly _tag: string;

  /** `installed` is the dependency-install step every action forks from. */
  constructor(path: string, installed: Step, pm: Installer, tag: string) {
    super(path, installed);
    this._pm = pm;
    this._tag = tag;
  }

  /** A project whose actions fork from `cmd`, run after the dependencies (codegen, fixtures…). */
  setup(cmd: string, opts?: StepOptions): JsProject {
    return new JsProject(this.path, this._installed.sh(cmd, opts), this._pm, this._tag);
  }

  /** Runs a `package.json` script (a `deno.json` task on deno). */
  run(script: string, opts?: ActionOptions): Step {
    const cmd = `${INSTALLER[this._pm].runScript} ${script}`;
    return actionStep("JsProject.run", this._installed, this.path, cmd, `:${this._tag}: ${script}`, opts);
  }
}

function project(opts?: JsOptions): JsProject {
  checkOptions("js.project", opts, ["path", "pm", "runtime", "version", "image", "base", "installed"]);
  checkChoice("js.project", "runtime", opts?.runtime, RUNTIMES);
  checkChoice("js.project", "pm", opts?.pm, INSTALLERS);
  const path = opts?.path ?? ".";
  const { detected, sources } =
    opts?.runtime === undefined && opts?.pm === undefined
      ? detectJsExplained(inProject(path))
      : { detected: {}, sources: {} };
  const runtime = opts?.runtime ?? detected.runtime ?? "node";
  if (opts?.version !== undefined) checkVersion(runtime, opts.version);
  const installed = wantsInstalled("js.project", opts, ["version"]);
  const preinstalled = { where: "js.project", image: opts?.image, base: opts?.base };

  if (runtime === "deno") {
    if (opts?.pm !== undefined) {
      throw new SdkError('js.project: runtime "deno" installs its own dependencies', {
        hint: "drop the pm option",
      });
    }
    const denoInstalled = installed
      ? useInstalled({ ...preinstalled, tag: "deno", commands: ["deno"], versions: "deno --version" })
      : installChain({
          aptPackages: ["curl", "ca-certificates", "unzip"],
          installCmd: denoInstallCmd(opts?.version),
          installCache: forever(),
          tag: "deno",
          installLabel: "install",
          image: opts?.image,
          base: opts?.base,
        });
    return new JsProject(path, installDeps(denoInstalled, path, "deno", "deno"), "deno", "deno");
  }

  const pm = opts?.pm ?? detected.pm ?? (runtime === "bun" ? "bun" : "npm");
  if (pm === "deno")
    throw new SdkError('js.project: pm "deno" is not a package manager', { hint: 'use runtime: "deno"' });
  if (runtime === "bun" && pm !== "bun") throw bunWithOtherPm(pm, path, sources);
  const tag = runtime === "bun" ? "bun" : "node";
  const pmReady = installed
    ? useInstalled({
        ...preinstalled,
        tag,
        commands: runtime === "bun" ? ["bun"] : ["node", PM_COMMAND[pm]],
        versions: runtime === "bun" ? "bun --version" : `node --version && ${PM_COMMAND[pm]} --version`,
      })
    : installRuntimeAndPm(runtime, pm, tag, path, detected.pmVersion, opts);
  return new JsProject(path, installDeps(pmReady, path, pm, tag), pm, tag);
}

/** The reference's chain: apt base, the runtime, then the package manager when the runtime lacks it. */
function installRuntimeAndPm(
  runtime: Runtime,
  pm: PackageManager,
  tag: string,
  path: string,
  pmVersion: string | undefined,
  opts: JsOptions | undefined,
): Step {
  const usesBun = runtime === "bun" || pm === "bun";
  const runtimeInstalled = installChain({
    aptPackages: usesBun ? ["curl", "ca-certificates", "unzip"] : ["curl", "ca-certificates"],
    installCmd: runtime === "bun" ? bunInstallCmd(opts?.version) : nodeInstallCmd(opts?.version ?? "22"),
    installCache: forever(),
    tag,
    installLabel: "install",
    image: opts?.image,
    base: opts?.base,
  });
  const bootstrap = bootstrapCmd(pm, runtime, pmVersion);
  if (bootstrap === null) return runtimeInstalled;
  return installsSoftware(
    runtimeInstalled.sh(bootstrap, {
      label: `:${tag}: ${pm}`,
      // A pinned version lives in package.json's packageManager field.
      cache: pmVersion !== undefined ? onChange(`${path}/package.json`) : forever(),
    }),
  );
}

/** Says where a detected runtime and package manager came from when they cannot go together. */
function bunWithOtherPm(pm: PackageManager, path: string, sources: DetectionSources): SdkError {
  if (sources.runtime === undefined && sources.pm === undefined) {
    return new SdkError(`js.project: runtime "bun" works only with pm "bun" — got pm "${pm}"`);
  }
  const dir = path === "." ? "" : `${path}/`;
  const from = (what: string, source: string | undefined) =>
    source === undefined ? what : `${what} (from ${dir}${source})`;
  return new SdkError(
    `js.project: detected ${from('runtime "bun"', sources.runtime)} and ${from(`pm "${pm}"`, sources.pm)}, ` +
      `but runtime "bun" works only with pm "bun"`,
    {
      hint:
        `set pm: "${pm}" to install with ${pm} on node, or runtime: "bun" to install with bun ` +
        "(or remove the file that is out of date)",
    },
  );
}

function installDeps(parent: Step, path: string, pm: Installer, tag: string): Step {
  const { installDeps, lockfile } = INSTALLER[pm];
  return parent.sh(`cd ${path} && ${installDeps}`, {
    label: `:${tag}: deps`,
    cache: onChange(`${path}/${lockfile}`),
  });
}

/** How to add `pm` to the runtime's image; null when the runtime ships it. */
function bootstrapCmd(pm: PackageManager, runtime: Runtime, version: string | undefined): string | null {
  switch (pm) {
    case "npm":
      return null;
    case "bun":
      return runtime === "bun" ? null : bunInstallCmd();
    case "pnpm":
      return version === undefined
        ? "corepack enable pnpm"
        : `corepack enable pnpm && corepack install -g pnpm@${version}`;
    case "yarn-classic":
    case "yarn-berry":
      return version === undefined
        ? "corepack enable"
        : `corepack enable yarn && corepack install -g yarn@${version}`;
  }
}

function checkVersion(runtime: Runtime, version: string): void {
  if (runtime === "node" && !/^[0-9]+(\.x)?$/.test(version)) {
    throw new SdkError(`js.project: invalid version "${version}"`, {
      hint: 'give a Node major version such as "22" or "22.x"',
    });
  }
  if (runtime !== "node" && !/^[0-9]+\.[0-9]+(\.[0-9]+)?$/.test(version)) {
    throw new SdkError(`js.project: invalid version "${version}"`, {
      hint: 'give a semver such as "1.2" or "1.2.0"',
    });
  }
}

function nodeInstallCmd(version: string): string {
  const major = version.replace(/\.x$/, "");
  const setup = fetchThenRun({
    url: `https://deb.nodesource.com/setup_${major}.x`,
    file: "/tmp/nodesource-setup.sh",
    run: (f) => `bash ${f}`,
  });
  return `${setup} && apt-get install -y nodejs`;
}

function bunInstallCmd(version?: string): string {
  const pin = version === undefined ? "" : ` "bun-v${version}"`;
  return fetchThenRun({
    url: "https://bun.sh/install",
    file: "/tmp/bun-install.sh",
    run: (f) => `BUN_INSTALL=/usr/local bash ${f}${pin}`,
  });
}

function denoInstallCmd(version?: string): string {
  const pin = version === undefined ? "" : ` "v${version}"`;
  const install = fetchThenRun({
    url: "https://deno.land/install.sh",
    file: "/tmp/deno-install.sh",
    run: (f) => `sh ${f}${pin}`,
  });
  return `${install} && ln -sf $HOME/.deno/bin/deno /usr/local/bin/deno`;
}

export const js = { project };
export const ts = js;
