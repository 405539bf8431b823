"""``hm.python`` and ``hm.py.uv``: uv installs the tooling, ``uv sync --all-extras`` the project
(cached on uv.lock and pyproject.toml); pytest, ruff and ty run through ``uv run``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._step import Step
from ._toolchain import advance_install, fetch_then_run, labelled, make_install_chain, split_action_options
from .cache import CacheForever, CacheOnChange

_UV_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+|latest")


def uv_synced(where: str, path: str, uv_version: str, image, base) -> Step:
    if not isinstance(uv_version, str) or _UV_VERSION.fullmatch(uv_version) is None:
        raise ValueError(f'{where}: invalid uv version {uv_version!r}\n  → "latest", or a version such as "0.4.18"')
    # The pin prefixes curl, the command that downloads the installer.
    pin = "" if uv_version == "latest" else f"UV_VERSION={uv_version} "
    installer = fetch_then_run("https://astral.sh/uv/install.sh", "/tmp/uv-install.sh", "sh /tmp/uv-install.sh", "-LsSf")
    ready = make_install_chain(
        apt_packages=("curl", "ca-certificates", "python3", "python3-venv"),
        install_cmd=f"{pin}{installer} && ln -sf /root/.local/bin/uv /usr/local/bin/uv && uv --version",
        install_cache=CacheForever(),
        lang_tag="python",
        install_tag="uv-install",
        image=image,
        base=base,
    )
    return ready.sh(
        f"cd {path} && uv sync --all-extras",
        label=":python: uv-sync",
        cache=CacheOnChange(paths=(f"{path}/uv.lock", f"{path}/pyproject.toml")),
    )


def _targets(paths) -> str:
    if paths is None:
        return "."
    return paths if isinstance(paths, str) else " ".join(paths)


class _UvActions:
    path: str
    installed: Step

    def _uv(self, label: str, args: str, options: dict) -> Step:
        return labelled(self.installed, f"cd {self.path} && uv {args}", f":python: {label}", options)

    def test(self, **options) -> Step:
        return self._uv("test", "run pytest", options)

    def lint(self, **options) -> Step:
        return self._uv("lint", "run ruff check .", options)

    def fmt(self, **options) -> Step:
        return self._uv("fmt", "run ruff format --check .", options)

    def typecheck(self, *, paths=None, **options) -> Step:
        return self._uv("typecheck", f"run ty check {_targets(paths)}", options)


@dataclass(frozen=True)
class PythonToolchain(_UvActions):
    path: str
    installed: Step

    def setup(self, cmd, *, cwd=None, label=None, cache=None, env=None) -> PythonToolchain:
        """A toolchain whose actions fork from ``cmd``, run after the sync."""
        return advance_install(self, cmd, cwd=cwd, label=label, cache=cache, env=env)


@dataclass(frozen=True)
class UvProject(_UvActions):
    path: str
    installed: Step

    def run(self, cmd: str, **options) -> Step:
        """``uv run <cmd>``, labelled with the command's first word."""
        words = cmd.split()
        return self._uv(words[0] if words else "run", f"run {cmd}", options)

    def build(self, **options) -> Step:
        return self._uv("build", "build", options)

    def lock_check(self, **options) -> Step:
        return self._uv("lock-check", "lock --check", options)

    def publish(self, **options) -> Step:
        return self._uv("publish", "publish", options)

    def _default_leaves(self):
        return (self.test(),)


class _Entry:
    """Calling it makes the project; ``entry.test(path=..., label=...)`` makes it and one action."""

    def _one(self, action: str, options: dict, *args, **extra) -> Step:
        own, step = split_action_options(options)
        return getattr(self(**own), action)(*args, **extra, **step)

    def test(self, **options) -> Step:
        return self._one("test", options)

    def lint(self, **options) -> Step:
        return self._one("lint", options)

    def fmt(self, **options) -> Step:
        return self._one("fmt", options)

    def typecheck(self, *, paths=None, **options) -> Step:
        return self._one("typecheck", options, paths=paths)


class PythonEntry(_Entry):
    def __call__(self, *, path: str = ".", uv_version: str = "latest", image=None, base=None) -> PythonToolchain:
        return PythonToolchain(path=path, installed=uv_synced("hm.python", path, uv_version, image, base))


class UvEntry(_Entry):
    def __call__(self, *, path: str = ".", version: str = "latest", image=None, base=None) -> UvProject:
        return UvProject(path=path, installed=uv_synced("py.uv", path, version, image, base))

    def run(self, cmd: str, **options) -> Step:
        return self._one("run", options, cmd)

    def build(self, **options) -> Step:
        return self._one("build", options)

    def lock_check(self, **options) -> Step:
        return self._one("lock_check", options)

    def publish(self, **options) -> Step:
        return self._one("publish", options)


python = PythonEntry()
uv = UvEntry()
