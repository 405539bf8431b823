"""What the toolchains share: the apt base step and the install step on top of it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from ._step import Step, scratch
from .cache import CacheTTL

# Package lists go stale within days; a daily refresh keeps installs working.
APT_TTL = timedelta(days=1)


def apt_install_cmd(packages) -> str:
    return "apt-get update && apt-get install -y " + " ".join(packages)


def apt_base(*, packages, image: str | None = None, label: str = ":apt: base") -> Step:
    """A root step installing ``packages`` with apt, cached for a day; pass it as ``base=`` to toolchains."""
    return scratch().sh(apt_install_cmd(packages), label=label, image=image, cache=CacheTTL(duration=APT_TTL))


def make_install_chain(*, apt_packages, install_cmd, install_cache, lang_tag, install_tag, image, base) -> Step:
    """``base`` (else an apt base of ``apt_packages``), then the tool's install step."""
    if base is None:
        base = scratch().sh(
            apt_install_cmd(apt_packages),
            label=f":{lang_tag}: apt-base",
            image=image,
            cache=CacheTTL(duration=APT_TTL),
        )
    return base.sh(install_cmd, label=f":{lang_tag}: {install_tag}", cache=install_cache)


def advance_install(project, cmd, *, cwd=None, label=None, cache=None, env=None):
    """A copy of ``project`` whose install chain ends in one more step."""
    installed = project.installed.sh(cmd, cwd=cwd, label=label, cache=cache, env=env)
    return dataclasses.replace(project, installed=installed)
