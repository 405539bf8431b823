"""``hm.elixir``: Erlang/OTP and Elixir, ``mix deps.get`` (cached on mix.lock), then mix tasks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._install_marks import installs_software
from ._step import Step
from ._toolchain import ACTION_OPTIONS, advance_install, arch_case, make_install_chain
from .cache import CacheForever, CacheOnChange

# Erlang's VM reads file names as UTF-8 only with +fnu.
_ENV = {"ELIXIR_ERL_OPTIONS": "+fnu"}
_ELIXIR_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
_OTP_VERSION = re.compile(r"[0-9]+(\.[0-9]+(\.[0-9]+)?)?")
_TASK_OPTIONS = ("cover", "partitions", "strict", "mix_env")
_APT = ("curl", "ca-certificates", "git", "unzip", "build-essential", "autoconf", "libncurses-dev", "libssl-dev")


def _erlang_cmd(otp: str) -> str:
    return " && ".join(
        [
            arch_case("elixir", "arch", "amd64", "arm64"),
            "curl -fsSL https://binaries2.erlang-solutions.com/debian/pool/contrib/e/esl-erlang/"
            f"esl-erlang_{otp}-1~debian~bookworm_$arch.deb -o /tmp/erlang.deb",
            "(dpkg -i /tmp/erlang.deb || apt-get install -fy)",
            "erl -eval 'erlang:display(erlang:system_info(otp_release)), halt().' -noshell",
        ]
    )


def _elixir_cmd(version: str, otp_major: str) -> str:
    return " && ".join(
        [
            f"curl -fsSL https://github.com/elixir-lang/elixir/releases/download/v{version}/elixir-otp-{otp_major}.zip"
            " -o /tmp/elixir.zip",
            "unzip -q /tmp/elixir.zip -d /usr/local/elixir",
            "ln -sf /usr/local/elixir/bin/elixir /usr/local/bin/elixir",
            "ln -sf /usr/local/elixir/bin/mix /usr/local/bin/mix",
            "ln -sf /usr/local/elixir/bin/iex /usr/local/bin/iex",
            "mix local.hex --force",
            "mix local.rebar --force",
            "elixir --version",
        ]
    )


@dataclass(frozen=True)
class ElixirProject:
    path: str
    installed: Step
    # The dialyzer PLT step, made once per project so every dialyzer shares it.
    _plt_step: Step | None = field(default=None, init=False, repr=False)

    def setup(self, cmd, *, cwd=None, label=None, cache=None, env=None) -> ElixirProject:
        return advance_install(self, cmd, cwd=cwd, label=label, cache=cache, env=env)

    def _mix(self, args: str, label: str, options: dict, parent: Step | None = None) -> Step:
        options = {**options, "env": {**_ENV, **(options.get("env") or {})}}
        if options.get("label") is None:
            options["label"] = label
        return (self.installed if parent is None else parent).sh(f"cd {self.path} && {args}", **options)

    def compile(self, **options) -> Step:
        return self._mix("mix compile --warnings-as-errors", ":ex: compile", options)

    def test(self, *, cover=False, partitions=None, **options) -> Step:
        args = "mix test" + (" --cover" if cover else "") + (f" --partitions {partitions}" if partitions is not None else "")
        return self._mix(args, ":ex: test", options)

    def format(self, **options) -> Step:
        return self._mix("mix format --check-formatted", ":ex: format", options)

    def credo(self, *, strict=True, **options) -> Step:
        return self._mix("mix credo --strict" if strict else "mix credo", ":ex: credo", options)

    def plt(self) -> Step:
        if self._plt_step is None:
            step = self.installed.sh(
                f"cd {self.path} && mix dialyzer --plt",
                label=":ex: plt",
                cache=CacheOnChange(paths=(f"{self.path}/mix.lock",)),
                env=_ENV,
            )
            object.__setattr__(self, "_plt_step", step)
        return self._plt_step

    def dialyzer(self, **options) -> Step:
        return self._mix("mix dialyzer", ":ex: dialyzer", options, self.plt())

    def sobelow(self, **options) -> Step:
        return self._mix("mix sobelow --exit", ":ex: sobelow", options)

    def deps_audit(self, **options) -> Step:
        return self._mix("mix deps.audit", ":ex: deps-audit", options)

    def hex_audit(self, **options) -> Step:
        return self._mix("mix hex.audit", ":ex: hex-audit", options)

    def release(self, *, mix_env="prod", **options) -> Step:
        return self._mix(f"MIX_ENV={mix_env} mix release", ":ex: release", options)

    def mix(self, task: str, **options) -> Step:
        return self._mix(f"mix {task}", f":ex: {task}", options)


class ElixirEntry:
    def __call__(self, *, path=".", elixir_version="1.18.3", otp_version="27.3.3", image=None, base=None) -> ElixirProject:
        if not isinstance(elixir_version, str) or _ELIXIR_VERSION.fullmatch(elixir_version) is None:
            raise ValueError(f'hm.elixir: invalid elixir version {elixir_version!r}\n  → e.g. "1.18.3"')
        if not isinstance(otp_version, str) or _OTP_VERSION.fullmatch(otp_version) is None:
            raise ValueError(f'hm.elixir: invalid otp version {otp_version!r}\n  → e.g. "27.3.3"')
        erlang = make_install_chain(
            apt_packages=_APT,
            install_cmd=_erlang_cmd(otp_version),
            install_cache=CacheForever(),
            lang_tag="ex",
            install_tag="erlang-install",
            image=image,
            base=base,
        )
        elixir = installs_software(
            erlang.sh(
                _elixir_cmd(elixir_version, otp_version.split(".")[0]),
                label=":ex: elixir-install",
                cache=CacheForever(),
                env=_ENV,
            )
        )
        deps = elixir.sh(
            f"cd {path} && mix deps.get && mix deps.compile",
            label=":ex: mix-deps",
            cache=CacheOnChange(paths=(f"{path}/mix.lock",)),
            env=_ENV,
        )
        return ElixirProject(path=path, installed=deps)

    def _one(self, action: str, options: dict, *args, task_options=_TASK_OPTIONS):
        passed = ACTION_OPTIONS + task_options
        step = {k: v for k, v in options.items() if k in passed}
        own = {k: v for k, v in options.items() if k not in passed}
        return getattr(self(**own), action)(*args, **step)

    def compile(self, **options) -> Step:
        return self._one("compile", options)

    def test(self, **options) -> Step:
        return self._one("test", options)

    def format(self, **options) -> Step:
        return self._one("format", options)

    def credo(self, **options) -> Step:
        return self._one("credo", options)

    def plt(self, **options) -> Step:
        return self(**options).plt()

    def dialyzer(self, **options) -> Step:
        return self._one("dialyzer", options)

    def sobelow(self, **options) -> Step:
        return self._one("sobelow", options)

    def deps_audit(self, **options) -> Step:
        return self._one("deps_audit", options)

    def hex_audit(self, **options) -> Step:
        return self._one("hex_audit", options)

    def release(self, **options) -> Step:
        return self._one("release", options)

    def mix(self, task: str, **options) -> Step:
        return self._one("mix", options, task, task_options=())


elixir = ElixirEntry()
