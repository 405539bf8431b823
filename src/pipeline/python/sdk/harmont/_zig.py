"""``hm.zig``: Zig from ziglang.org's tarball; ``hm.zig(path=...)`` is a project in that directory."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._step import Step
from ._toolchain import advance_install, arch_case, labelled, make_install_chain, split_action_options
from .cache import CacheForever

_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
# From 0.14.1 the tarballs are zig-<arch>-linux-*, before zig-linux-<arch>-*.
_RENAMED_FROM = (0, 14, 1)


def _install_cmd(version: str) -> str:
    renamed = tuple(int(part) for part in version.split(".")) >= _RENAMED_FROM
    tarball = f"zig-$arch-linux-{version}.tar.xz" if renamed else f"zig-linux-$arch-{version}.tar.xz"
    return " && ".join(
        [
            arch_case("zig", "arch", "x86_64", "aarch64"),
            f"curl -fsSL https://ziglang.org/download/{version}/{tarball} -o /tmp/zig.tar.xz",
            "rm -rf /usr/local/zig && mkdir -p /usr/local/zig",
            "tar -xJf /tmp/zig.tar.xz -C /usr/local/zig --strip-components=1",
            "ln -sf /usr/local/zig/zig /usr/local/bin/zig && zig version",
        ]
    )


@dataclass(frozen=True)
class ZigProject:
    path: str
    installed: Step

    def setup(self, cmd, *, cwd=None, label=None, cache=None, env=None) -> ZigProject:
        return advance_install(self, cmd, cwd=cwd, label=label, cache=cache, env=env)

    def _zig(self, name: str, args: str, options: dict) -> Step:
        return labelled(self.installed, f"cd {self.path} && zig {args}", f":zig: {self.path} {name}", options)

    def build(self, **options) -> Step:
        return self._zig("build", "build", options)

    def test(self, **options) -> Step:
        return self._zig("test", "build test", options)

    def fmt(self, **options) -> Step:
        return self._zig("fmt", "fmt --check .", options)


@dataclass(frozen=True)
class ZigToolchain:
    version: str
    installed: Step

    def setup(self, cmd, *, cwd=None, label=None, cache=None, env=None) -> ZigToolchain:
        return advance_install(self, cmd, cwd=cwd, label=label, cache=cache, env=env)

    def project(self, path: str = ".") -> ZigProject:
        return ZigProject(path=path, installed=self.installed)


class ZigEntry:
    def __call__(self, *, path=None, version: str = "0.14.1", image=None, base=None):
        if not isinstance(version, str) or _VERSION.fullmatch(version) is None:
            raise ValueError(f'hm.zig: invalid version {version!r}\n  → a version such as "0.14.1"')
        installed = make_install_chain(
            apt_packages=("curl", "ca-certificates", "xz-utils"),
            install_cmd=_install_cmd(version),
            install_cache=CacheForever(),
            lang_tag="zig",
            install_tag="install",
            image=image,
            base=base,
        )
        toolchain = ZigToolchain(version=version, installed=installed)
        return toolchain if path is None else toolchain.project(path)

    def _one(self, action: str, options: dict) -> Step:
        own, step = split_action_options(options)
        own.setdefault("path", ".")
        return getattr(self(**own), action)(**step)

    def build(self, **options) -> Step:
        return self._one("build", options)

    def test(self, **options) -> Step:
        return self._one("test", options)

    def fmt(self, **options) -> Step:
        return self._one("fmt", options)


zig = ZigEntry()
