"""What the toolchains share: the apt base step and the install step on top of it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from ._install_marks import installs_software
from ._step import Step, scratch
from .cache import CacheTTL

# Package lists go stale within days; a daily refresh keeps installs working.
APT_TTL = timedelta(days=1)


def apt_install_cmd(packages) -> str:
    return "apt-get update && apt-get install -y " + " ".join(packages)


def apt_base(*, packages, image: str | None = None, label: str = ":apt: base") -> Step:
    """A root step installing ``packages`` with apt, cached for a day; pass it as ``base=`` to toolchains."""
    step = scratch().sh(apt_install_cmd(packages), label=label, image=image, cache=CacheTTL(duration=APT_TTL))
    return installs_software(step)


def make_install_chain(
    *, apt_packages, install_cmd, install_cache, lang_tag, install_tag, image, base, installs=True
) -> Step:
    """``base`` (else an apt base of ``apt_packages``), then the tool's install step.

    ``installs=False`` when the install command only checks what apt installed.
    """
    if base is None:
        base = installs_software(
            scratch().sh(
                apt_install_cmd(apt_packages),
                label=f":{lang_tag}: apt-base",
                image=image,
                cache=CacheTTL(duration=APT_TTL),
            )
        )
    installed = base.sh(install_cmd, label=f":{lang_tag}: {install_tag}", cache=install_cache)
    return installs_software(installed) if installs else installed


def arch_case(tool: str, variable: str, x86_64: str, aarch64: str) -> str:
    """Shell that sets ``$variable`` to the vendor's name for this machine's architecture, or fails naming it.

    hm downloads builds for the machine the step runs on; the reference always takes x86_64.
    """
    return (
        f'case "$(uname -m)" in x86_64|amd64) {variable}={x86_64} ;; aarch64|arm64) {variable}={aarch64} ;; '
        f'*) echo "hm: {tool}: no build for architecture $(uname -m) (x86_64 and aarch64 are supported)" >&2; '
        "exit 1 ;; esac"
    )


def fetch_then_run(url: str, file: str, run: str, curl: str = "-fsSL") -> str:
    """Download a script, and run it only once curl succeeded (``curl | sh`` succeeds when curl fails)."""
    return f"curl {curl} {url} -o {file} && {run}"


def advance_install(project, cmd, *, cwd=None, label=None, cache=None, env=None):
    """A copy of ``project`` whose install chain ends in one more step."""
    installed = project.installed.sh(cmd, cwd=cwd, label=label, cache=cache, env=env)
    return dataclasses.replace(project, installed=installed)


# The options of a toolchain action a one-shot entry call (``hm.go.test(path=..., label=...)``) passes on.
ACTION_OPTIONS = ("cache", "env", "label", "key")


def split_action_options(options: dict) -> tuple[dict, dict]:
    """(the toolchain's own options, the action's step options) of a one-shot call."""
    step = {name: value for name, value in options.items() if name in ACTION_OPTIONS}
    own = {name: value for name, value in options.items() if name not in ACTION_OPTIONS}
    return own, step


def labelled(installed, cmd: str, label: str, options: dict):
    """``cmd`` forked off ``installed``, labelled ``label`` unless the caller gave one."""
    if options.get("label") is None:
        options = {**options, "label": label}
    return installed.sh(cmd, **options)


# Runtime installs more than one toolchain uses (js, and the bun a node project may use as its manager).
def node_install_cmd(version: str) -> str:
    major = version[:-2] if version.endswith(".x") else version
    setup = fetch_then_run(
        f"https://deb.nodesource.com/setup_{major}.x", "/tmp/nodesource-setup.sh", "bash /tmp/nodesource-setup.sh"
    )
    return f"{setup} && apt-get install -y nodejs"


def bun_install_cmd(version: str | None = None) -> str:
    pin = "" if version is None else f' "bun-v{version}"'
    return fetch_then_run(
        "https://bun.sh/install", "/tmp/bun-install.sh", f"BUN_INSTALL=/usr/local bash /tmp/bun-install.sh{pin}"
    )


def deno_install_cmd(version: str | None = None) -> str:
    pin = "" if version is None else f' "v{version}"'
    install = fetch_then_run("https://deno.land/install.sh", "/tmp/deno-install.sh", f"sh /tmp/deno-install.sh{pin}")
    return f"{install} && ln -sf $HOME/.deno/bin/deno /usr/local/bin/deno"
