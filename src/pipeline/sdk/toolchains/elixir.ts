/**
 * `elixir()`: Erlang/OTP from Erlang Solutions' .deb for the machine's
 * architecture, Elixir from its release zip, then `mix deps.get && mix
 * deps.compile` cached on mix.lock.
 * Every mix step runs with `ELIXIR_ERL_OPTIONS=+fnu` (UTF-8 file names).
 */
import { forever, onChange } from "../cache.ts";
import { SdkError } from "../errors.ts";
import { installsSoftware } from "../host-installers.ts";
import type { Step, StepOptions } from "../step.ts";
import { archCase } from "./downloads.ts";
import { InstalledIn, installChain } from "./install.ts";
import { useInstalled, wantsInstalled } from "./installed.ts";
import { ACTION_OPTIONS, type ActionOptions, checkOptions, partition } from "./options.ts";

export interface ElixirOptions {
  readonly path?: string;
  /** "1.18.3" and the like. */
  readonly elixirVersion?: string;
  /** "27", "27.3" or "27.3.3". */
  readonly otpVersion?: string;
  readonly image?: string;
  readonly base?: Step;
  /** hm only: use the Erlang, Elixir and Hex on the PATH instead of installing them. */
  readonly installed?: boolean;
}

const ELIXIR_ENV = { ELIXIR_ERL_OPTIONS: "+fnu" } as const;

export class ElixirProject extends InstalledIn {
  private _plt: Step | null = null;

  /** A project whose actions fork from `cmd`, run after the dependencies. */
  setup(cmd: string, opts?: StepOptions): ElixirProject {
    return new ElixirProject(this.path, this._installed.sh(cmd, opts));
  }

  compile(opts?: ActionOptions): Step {
    return this.mixStep("compile", "compile --warnings-as-errors", "compile", opts);
  }

  test(opts?: ActionOptions & { readonly cover?: boolean; readonly partitions?: number }): Step {
    const [own, step] = this.split("test", opts, ["cover", "partitions"]);
    const flags = [
      ...(own.cover ? ["--cover"] : []),
      ...(own.partitions != null ? [`--partitions ${own.partitions}`] : []),
    ];
    return this.mixStep("test", ["test", ...flags].join(" "), "test", step);
  }

  format(opts?: ActionOptions): Step {
    return this.mixStep("format", "format --check-formatted", "format", opts);
  }

  /** Credo, `--strict` unless `strict: false`. */
  credo(opts?: ActionOptions & { readonly strict?: boolean }): Step {
    const [own, step] = this.split("credo", opts, ["strict"]);
    return this.mixStep("credo", own.strict === false ? "credo" : "credo --strict", "credo", step);
  }

  /** Dialyzer's PLT, cached on mix.lock; built once per project however often it is asked for. */
  plt(): Step {
    this._plt ??= this.mixStep("plt", "dialyzer --plt", "plt", { cache: onChange(`${this.path}/mix.lock`) });
    return this._plt;
  }

  dialyzer(opts?: ActionOptions): Step {
    return this.mixStep("dialyzer", "dialyzer", "dialyzer", opts, this.plt());
  }

  sobelow(opts?: ActionOptions): Step {
    return this.mixStep("sobelow", "sobelow --exit", "sobelow", opts);
  }

  depsAudit(opts?: ActionOptions): Step {
    return this.mixStep("depsAudit", "deps.audit", "deps-audit", opts);
  }

  hexAudit(opts?: ActionOptions): Step {
    return this.mixStep("hexAudit", "hex.audit", "hex-audit", opts);
  }

  /** Any mix task, labelled with its text. */
  mix(task: string, opts?: ActionOptions): Step {
    return this.mixStep("mix", task, task, opts);
  }

  /** `mix release` with MIX_ENV (prod unless `mixEnv` says otherwise). */
  release(opts?: ActionOptions & { readonly mixEnv?: string }): Step {
    const [own, step] = this.split("release", opts, ["mixEnv"]);
    return this._sh(this._installed, `cd ${this.path} && MIX_ENV=${own.mixEnv ?? "prod"} mix release`, {
      label: ":ex: release",
      ...step,
    });
  }

  private mixStep(
    method: string,
    task: string,
    label: string,
    opts: ActionOptions | undefined,
    parent = this._installed,
  ) {
    checkOptions(`ElixirProject.${method}`, opts, ACTION_OPTIONS);
    return this._sh(parent, `cd ${this.path} && mix ${task}`, { label: `:ex: ${label}`, ...opts });
  }

  private _sh(parent: Step, cmd: string, opts: ActionOptions): Step {
    const { env, ...rest } = opts;
    return parent.sh(cmd, { env: { ...ELIXIR_ENV, ...env }, ...rest });
  }

  private split(method: string, opts: object | undefined, own: readonly string[]) {
    checkOptions(`ElixirProject.${method}`, opts, [...ACTION_OPTIONS, ...own]);
    return partition(opts, own) as [Record<string, string | number | boolean | undefined>, ActionOptions];
  }
}

export function elixir(opts?: ElixirOptions): ElixirProject {
  checkOptions("elixir", opts, ["path", "elixirVersion", "otpVersion", "image", "base", "installed"]);
  const path = opts?.path ?? ".";
  const elixirReady = wantsInstalled("elixir", opts, ["elixirVersion", "otpVersion"])
    ? useInstalled({
        where: "elixir",
        tag: "ex",
        commands: ["erl", "elixir", "mix"],
        versions: "elixir --version",
        image: opts?.image,
        base: opts?.base,
      })
    : installErlangAndElixir(opts);
  const depsInstalled = elixirReady.sh(`cd ${path} && mix deps.get && mix deps.compile`, {
    label: ":ex: mix-deps",
    cache: onChange(`${path}/mix.lock`),
    env: ELIXIR_ENV,
  });
  return new ElixirProject(path, depsInstalled);
}

/** The reference's chain: Erlang/OTP's .deb, then Elixir's release with Hex and rebar. */
function installErlangAndElixir(opts: ElixirOptions | undefined): Step {
  const elixirVersion = opts?.elixirVersion ?? "1.18.3";
  const otpVersion = opts?.otpVersion ?? "27.3.3";
  if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(elixirVersion)) {
    throw new SdkError(`elixir: invalid elixirVersion "${elixirVersion}"`, {
      hint: 'give a semver such as "1.18.3"',
    });
  }
  if (!/^[0-9]+(\.[0-9]+(\.[0-9]+)?)?$/.test(otpVersion)) {
    throw new SdkError(`elixir: invalid otpVersion "${otpVersion}"`, {
      hint: 'give a version such as "27" or "27.3.3"',
    });
  }
  const otpMajor = otpVersion.split(".")[0];
  const erlangInstalled = installChain({
    aptPackages: [
      "curl",
      "ca-certificates",
      "git",
      "unzip",
      "build-essential",
      "autoconf",
      "libncurses-dev",
      "libssl-dev",
    ],
    installCmd: [
      archCase("elixir", "arch", { x86_64: "amd64", aarch64: "arm64" }),
      `curl -fsSL https://binaries2.erlang-solutions.com/debian/pool/contrib/e/esl-erlang/esl-erlang_${otpVersion}-1~debian~bookworm_$arch.deb -o /tmp/erlang.deb`,
      "(dpkg -i /tmp/erlang.deb || apt-get install -fy)",
      "erl -eval 'erlang:display(erlang:system_info(otp_release)), halt().' -noshell",
    ].join(" && "),
    installCache: forever(),
    tag: "ex",
    installLabel: "erlang-install",
    image: opts?.image,
    base: opts?.base,
  });
  const elixirInstalled = installsSoftware(
    erlangInstalled.sh(
      [
        `curl -fsSL https://github.com/elixir-lang/elixir/releases/download/v${elixirVersion}/elixir-otp-${otpMajor}.zip -o /tmp/elixir.zip`,
        "unzip -q /tmp/elixir.zip -d /usr/local/elixir",
        "ln -sf /usr/local/elixir/bin/elixir /usr/local/bin/elixir",
        "ln -sf /usr/local/elixir/bin/mix /usr/local/bin/mix",
        "ln -sf /usr/local/elixir/bin/iex /usr/local/bin/iex",
        "mix local.hex --force",
        "mix local.rebar --force",
        "elixir --version",
      ].join(" && "),
      { label: ":ex: elixir-install", cache: forever(), env: ELIXIR_ENV },
    ),
  );
  return elixirInstalled;
}
