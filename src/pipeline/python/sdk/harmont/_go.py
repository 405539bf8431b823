"""``hm.go``: Go from go.dev's tarball; build, test, vet and fmt fork off the install."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._step import Step
from ._toolchain import advance_install, arch_case, labelled, make_install_chain, split_action_options
from .cache import CacheForever

_VERSION = re.compile(r"[0-9]+\.[0-9]+(\.[0-9]+)?")


def _install_cmd(version: str) -> str:
    return " && ".join(
        [
            arch_case("go", "arch", "amd64", "arm64"),
            f"curl -fsSL https://go.dev/dl/go{version}.linux-$arch.tar.gz -o /tmp/go.tgz",
            "rm -rf /usr/local/go && tar -C /usr/local -xzf /tmp/go.tgz",
            "ln -sf /usr/local/go/bin/go /usr/local/bin/go",
            "ln -sf /usr/local/go/bin/gofmt /usr/local/bin/gofmt",
            "go version",
        ]
    )


@dataclass(frozen=True)
class GoToolchain:
    path: str
    installed: Step

    def setup(self, cmd, *, cwd=None, label=None, cache=None, env=None) -> GoToolchain:
        """A toolchain whose actions fork from ``cmd`` run after the install (``go generate ./...``)."""
        return advance_install(self, cmd, cwd=cwd, label=label, cache=cache, env=env)

    def _action(self, name: str, cmd: str, options: dict) -> Step:
        return labelled(self.installed, f"cd {self.path} && {cmd}", f":go: {name}", options)

    def build(self, **options) -> Step:
        return self._action("build", "go build ./...", options)

    def test(self, **options) -> Step:
        return self._action("test", "go test ./...", options)

    def vet(self, **options) -> Step:
        return self._action("vet", "go vet ./...", options)

    def fmt(self, **options) -> Step:
        return self._action("fmt", 'test -z "$(gofmt -l .)"', options)


class GoEntry:
    """``hm.go(path=, version=, image=, base=)``, or ``hm.go.test(...)`` for one action."""

    def __call__(self, *, path: str = ".", version: str = "1.23.2", image=None, base=None) -> GoToolchain:
        if not isinstance(version, str) or _VERSION.fullmatch(version) is None:
            raise ValueError(f'hm.go: invalid version {version!r}\n  → give one such as "1.23" or "1.23.2"')
        installed = make_install_chain(
            apt_packages=("curl", "ca-certificates", "git"),
            install_cmd=_install_cmd(version),
            install_cache=CacheForever(),
            lang_tag="go",
            install_tag="install",
            image=image,
            base=base,
        )
        return GoToolchain(path=path, installed=installed)

    def _one(self, action: str, options: dict) -> Step:
        own, step = split_action_options(options)
        return getattr(self(**own), action)(**step)

    def build(self, **options) -> Step:
        return self._one("build", options)

    def test(self, **options) -> Step:
        return self._one("test", options)

    def vet(self, **options) -> Step:
        return self._one("vet", options)

    def fmt(self, **options) -> Step:
        return self._one("fmt", options)


go = GoEntry()
