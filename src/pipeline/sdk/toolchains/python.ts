/**
 * `python()` and `py.uv()`: uv installs Python tooling and `uv sync
 * --all-extras` installs the project (cached on uv.lock and pyproject.toml);
 * pytest, ruff and ty run through `uv run`, forked off the sync.
 */
import { forever, onChange } from "../cache.ts";
import { SdkError } from "../errors.ts";
import type { Step, StepOptions } from "../step.ts";
import { fetchThenRun } from "./downloads.ts";
import { installChain } from "./install.ts";
import { useInstalled, wantsInstalled } from "./installed.ts";
import { ACTION_OPTIONS, type ActionOptions, actionStep, checkOptions, partition } from "./options.ts";

export interface PythonOptions {
  readonly path?: string;
  /** "latest" or a version such as "0.4.18". */
  readonly uvVersion?: string;
  readonly image?: string;
  readonly base?: Step;
  /** hm only: use the uv on the PATH instead of installing it. */
  readonly installed?: boolean;
}

export interface UvOptions {
  readonly path?: string;
  /** uv's version: "latest" or a version such as "0.4.18". */
  readonly version?: string;
  readonly image?: string;
  readonly base?: Step;
  /** hm only: use the uv on the PATH instead of installing it. */
  readonly installed?: boolean;
}

type TypecheckOptions = ActionOptions & { readonly paths?: string | readonly string[] };

/** The uv install (or the check of an installed uv) and `uv sync` of the project at `path`: what every action forks from. */
function uvSynced(
  where: string,
  path: string,
  uvVersion: string,
  image: string | undefined,
  base: Step | undefined,
  installed: boolean,
): Step {
  if (!/^([0-9]+\.[0-9]+\.[0-9]+|latest)$/.test(uvVersion)) {
    throw new SdkError(`${where}: invalid uv version "${uvVersion}"`, {
      hint: 'use "latest" or a version such as "0.4.18"',
    });
  }
  // As in the reference, the pin prefixes curl (the command that downloads the installer).
  const pin = uvVersion === "latest" ? "" : `UV_VERSION=${uvVersion} `;
  const uvInstaller = fetchThenRun({
    url: "https://astral.sh/uv/install.sh",
    file: "/tmp/uv-install.sh",
    curl: "-LsSf",
    run: (f) => `sh ${f}`,
  });
  const uvReady = installed
    ? useInstalled({ where, tag: "python", commands: ["uv"], versions: "uv --version", image, base })
    : installChain({
        aptPackages: ["curl", "ca-certificates", "python3", "python3-venv"],
        installCmd: `${pin}${uvInstaller} && ln -sf /root/.local/bin/uv /usr/local/bin/uv && uv --version`,
        installCache: forever(),
        tag: "python",
        installLabel: "uv-install",
        image,
        base,
      });
  return uvReady.sh(`cd ${path} && uv sync --all-extras`, {
    label: ":python: uv-sync",
    cache: onChange(`${path}/uv.lock`, `${path}/pyproject.toml`),
  });
}

/** Actions both Python helpers offer: test, lint, fmt and typecheck. */
abstract class UvActions {
  readonly path: string;
  protected readonly _installed: Step;
  protected abstract readonly kind: string;

  constructor(path: string, installed: Step) {
    this.path = path;
    this._installed = installed;
  }

  install(): Step {
    return this._installed;
  }

  test(opts?: ActionOptions): Step {
    return this.uv("test", "test", "run pytest", opts);
  }

  lint(opts?: ActionOptions): Step {
    return this.uv("lint", "lint", "run ruff check .", opts);
  }

  fmt(opts?: ActionOptions): Step {
    return this.uv("fmt", "fmt", "run ruff format --check .", opts);
  }

  /** `ty check` over `paths` (the project directory unless given). */
  typecheck(opts?: TypecheckOptions): Step {
    checkOptions(`${this.kind}.typecheck`, opts, [...ACTION_OPTIONS, "paths"]);
    const [{ paths }, step] = partition(opts, ["paths"]);
    const target = paths === undefined ? "." : Array.isArray(paths) ? paths.join(" ") : String(paths);
    return this.uv("typecheck", "typecheck", `run ty check ${target}`, step);
  }

  protected uv(method: string, label: string, args: string, opts: ActionOptions | undefined): Step {
    return actionStep(
      `${this.kind}.${method}`,
      this._installed,
      this.path,
      `uv ${args}`,
      `:python: ${label}`,
      opts,
    );
  }
}

export class PythonToolchain extends UvActions {
  protected readonly kind = "PythonToolchain";

  /** A toolchain whose actions fork from `cmd`, run after the sync (codegen, fixtures…). */
  setup(cmd: string, opts?: StepOptions): PythonToolchain {
    return new PythonToolchain(this.path, this._installed.sh(cmd, opts));
  }
}

export class UvProject extends UvActions {
  protected readonly kind = "UvProject";

  /** `uv run <cmd>`, labelled with the command's first word. */
  run(cmd: string, opts?: ActionOptions): Step {
    return this.uv("run", cmd.split(/\s+/)[0] ?? "run", `run ${cmd}`, opts);
  }

  build(opts?: ActionOptions): Step {
    return this.uv("build", "build", "build", opts);
  }

  lockCheck(opts?: ActionOptions): Step {
    return this.uv("lockCheck", "lock-check", "lock --check", opts);
  }

  publish(opts?: ActionOptions): Step {
    return this.uv("publish", "publish", "publish", opts);
  }
}

export function python(opts?: PythonOptions): PythonToolchain {
  checkOptions("python", opts, ["path", "uvVersion", "image", "base", "installed"]);
  const path = opts?.path ?? ".";
  const installed = wantsInstalled("python", opts, ["uvVersion"]);
  return new PythonToolchain(
    path,
    uvSynced("python", path, opts?.uvVersion ?? "latest", opts?.image, opts?.base, installed),
  );
}

export function uv(opts?: UvOptions): UvProject {
  checkOptions("py.uv", opts, ["path", "version", "image", "base", "installed"]);
  const path = opts?.path ?? ".";
  const installed = wantsInstalled("py.uv", opts, ["version"]);
  return new UvProject(
    path,
    uvSynced("py.uv", path, opts?.version ?? "latest", opts?.image, opts?.base, installed),
  );
}
