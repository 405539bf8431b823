"""``hm.rust.toolchain`` and ``hm.rust.project``: rustup, then cargo actions.

A toolchain's actions fork off the rustup install; a project's off a
warm-up build of the workspace's tests (cached on Cargo.lock, the
Cargo.toml files and the sources), so they share compiled dependencies.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from ._cargo import CARGO_OPTION_NAMES, CargoOpts, cargo_flags
from ._install_marks import installs_software
from ._step import Step
from ._toolchain import advance_install, fetch_then_run, make_install_chain
from .cache import CacheForever, CacheOnChange

CARGO_ENV = ". $HOME/.cargo/env"
_VERSION = re.compile(r"[a-z0-9.-]+")
# Options of a cargo action that are not cargo flags nor step options.
_ACTION_EXTRAS = ("add_target", "nextest", "deny_warnings", "extra_lints", "no_deps", "document_private_items")


def _split(options: dict, defaults: dict) -> tuple[dict, dict, dict]:
    """(cargo flags, the action's own extras, step options) of an action's keyword arguments."""
    merged = {**defaults, **options}
    cargo = {k: v for k, v in merged.items() if k in CARGO_OPTION_NAMES}
    extras = {k: v for k, v in merged.items() if k in _ACTION_EXTRAS}
    step = {k: v for k, v in merged.items() if k not in CARGO_OPTION_NAMES and k not in _ACTION_EXTRAS}
    return cargo, extras, step


def _with_target(cmd: str, cargo: dict, extras: dict) -> str:
    target = cargo.get("target")
    if target is not None and extras.get("add_target", True):
        return f"rustup target add {shlex.quote(target)} && {cmd}"
    return cmd


def _build(cargo, extras) -> str:
    return f"cargo build{cargo_flags(CargoOpts(**cargo))}"


def _test(cargo, extras) -> str:
    runner = "cargo nextest run" if extras.get("nextest") else "cargo test"
    return f"{runner}{cargo_flags(CargoOpts(**cargo))}"


def _doctest(cargo, extras) -> str:
    return f"cargo test{cargo_flags(CargoOpts(**cargo))} --doc"


def _clippy(cargo, extras) -> str:
    lints = (["-D warnings"] if extras.get("deny_warnings", True) else []) + list(extras.get("extra_lints", ()))
    return f"cargo clippy{cargo_flags(CargoOpts(**cargo))}" + (" -- " + " ".join(lints) if lints else "")


def _doc(cargo, extras) -> str:
    words = []
    if extras.get("no_deps", True):
        words.append("--no-deps")
    if extras.get("document_private_items", False):
        words.append("--document-private-items")
    own = " " + " ".join(words) if words else ""
    return f"cargo doc{own}{cargo_flags(CargoOpts(**cargo))}"


def _fmt_cmd(all=True, check=True, flags=()) -> str:  # noqa: A002 (the reference's option name)
    return " ".join(["cargo fmt"] + (["--all"] if all else []) + (["--check"] if check else []) + list(flags))


def _hack_cmd(
    subcommand="check", depth=2, each_feature=False, no_dev_deps=True, skip=(), include_features=(), keep_going=False, flags=()
) -> str:
    words = ["cargo hack", subcommand]
    words += ["--each-feature"] if each_feature else ["--feature-powerset", "--depth", str(depth)]
    if no_dev_deps:
        words.append("--no-dev-deps")
    if skip:
        words.append("--skip " + ",".join(shlex.quote(s) for s in skip))
    if include_features:
        words.append("--include-features " + ",".join(shlex.quote(s) for s in include_features))
    if keep_going:
        words.append("--keep-going")
    return " ".join(words + list(flags))


_HACK_OPTIONS = ("subcommand", "depth", "each_feature", "no_dev_deps", "skip", "include_features", "keep_going", "flags")

# Per action: its command, its label, and its defaults on a toolchain (a project builds the whole workspace).
_ACTIONS = {
    "build": (_build, ":rust: build", {}),
    "test": (_test, ":rust: test", {}),
    "doctest": (_doctest, ":rust: doctest", {}),
    "clippy": (_clippy, ":rust: clippy", {"all_targets": True}),
    "doc": (_doc, ":rust: doc", {}),
}


class _CargoActions:
    """build, test, doctest, clippy, doc: cargo with ``_split`` options, forked off ``_parent()``."""

    _workspace_default = False

    def _cargo(self, action: str, options: dict) -> Step:
        command, label, defaults = _ACTIONS[action]
        cargo, extras, step = _split(options, {"workspace": self._workspace_default, **defaults})
        if action == "doc" and extras.get("deny_warnings", True):
            step["env"] = {"RUSTDOCFLAGS": "-D warnings", **(step.get("env") or {})}
        return self._emit(_with_target(command(cargo, extras), cargo, extras), label, step)

    def build(self, **options) -> Step:
        return self._cargo("build", options)

    def test(self, **options) -> Step:
        return self._cargo("test", options)

    def doctest(self, **options) -> Step:
        return self._cargo("doctest", options)

    def clippy(self, **options) -> Step:
        return self._cargo("clippy", options)

    def doc(self, **options) -> Step:
        return self._cargo("doc", options)


@dataclass(frozen=True)
class RustToolchain(_CargoActions):
    path: str
    installed: Step

    def setup(self, cmd, *, cwd=None, label=None, cache=None, env=None) -> RustToolchain:
        return advance_install(self, cmd, cwd=cwd, label=label, cache=cache, env=env)

    def _wrap(self, cargo: str) -> str:
        return f"{CARGO_ENV} && cd {self.path} && {cargo}"

    def _emit(self, cargo: str, label: str, step: dict, parent: Step | None = None) -> Step:
        if step.get("label") is None:
            step = {**step, "label": label}
        return (self.installed if parent is None else parent).sh(self._wrap(cargo), **step)

    def fmt(self, *, all=True, check=True, flags=(), **step) -> Step:  # noqa: A002
        return self._emit(_fmt_cmd(all, check, flags), ":rust: fmt", step)

    def warmup(self, **step) -> Step:
        return self._emit("cargo build --workspace --tests --locked", ":rust: warmup", step)

    def feature_powerset(self, **options) -> Step:
        hack = {k: v for k, v in options.items() if k in _HACK_OPTIONS}
        step = {k: v for k, v in options.items() if k not in _HACK_OPTIONS}
        installed_hack = installs_software(
            self.installed.sh(
                f"{CARGO_ENV} && cargo install cargo-hack --locked",
                label=":rust: install cargo-hack",
                cache=CacheForever(),
            )
        )
        return self._emit(_hack_cmd(**hack), ":rust: feature-powerset", step, installed_hack)

    def _default_leaves(self):
        return (self.build(),)


@dataclass(frozen=True)
class RustProject(_CargoActions):
    toolchain: RustToolchain
    warmup: Step

    _workspace_default = True

    def _emit(self, cargo: str, label: str, step: dict) -> Step:
        return self.toolchain._emit(cargo, label, step, self.warmup)

    def fmt(self, **options) -> Step:
        return self.toolchain.fmt(**options)

    def feature_powerset(self, **options) -> Step:
        return self.toolchain.feature_powerset(**options)

    def ci(self, *, nextest: bool = False, doc: bool = False) -> tuple[Step, ...]:
        """test (and doctest under nextest), clippy, fmt, and doc when asked."""
        steps = [self.test(nextest=nextest)]
        if nextest:
            steps.append(self.doctest())
        steps += [self.clippy(), self.fmt()]
        if doc:
            steps.append(self.doc())
        return tuple(steps)

    def _default_leaves(self):
        return (self.test(), self.clippy(), self.fmt())


def _toolchain(path=".", version="stable", image=None, components=("clippy", "rustfmt"), base=None) -> RustToolchain:
    if not isinstance(version, str) or _VERSION.fullmatch(version) is None:
        raise ValueError(
            f"hm.rust: invalid version {version!r}\n"
            '  → a rustup channel such as "stable", or a version such as "1.81.0"'
        )
    rustup = fetch_then_run(
        "https://sh.rustup.rs",
        "/tmp/rustup-init.sh",
        f"sh /tmp/rustup-init.sh -y --default-toolchain {version} --profile minimal --component {','.join(components)}",
        "--proto '=https' --tlsv1.2 -sSf",
    )
    installed = make_install_chain(
        apt_packages=("curl", "ca-certificates", "build-essential", "pkg-config", "libssl-dev"),
        install_cmd=f"{rustup} && {CARGO_ENV} && rustc --version && cargo --version",
        install_cache=CacheForever(),
        lang_tag="rust",
        install_tag="rustup",
        image=image,
        base=base,
    )
    return RustToolchain(path=path, installed=installed)


class RustEntry:
    @staticmethod
    def toolchain(*, path=".", version="stable", image=None, components=("clippy", "rustfmt"), base=None) -> RustToolchain:
        return _toolchain(path, version, image, components, base)

    @staticmethod
    def project(
        *, path=".", version="stable", image=None, components=("clippy", "rustfmt"), base=None, cache=None
    ) -> RustProject:
        toolchain = _toolchain(path, version, image, components, base)
        root = path or "."
        within = "" if root == "." else f"{root}/"
        if cache is None:
            cache = CacheOnChange(paths=(f"{within}Cargo.lock", f"{within}**/Cargo.toml", f"{within}**/*.rs"))
        warm = toolchain.warmup(cache=cache)
        return RustProject(toolchain=toolchain, warmup=warm)


rust = RustEntry()
