"""``hm.js.project`` (alias ``hm.ts``): a JS/TS project on node, bun or deno.

The runtime's install, the package manager's bootstrap when it needs one,
then the dependencies (cached on the lockfile); scripts fork off them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._detect import detect
from ._install_marks import installs_software
from ._step import Step
from ._toolchain import advance_install, bun_install_cmd, deno_install_cmd, make_install_chain, node_install_cmd
from .cache import CacheForever, CacheOnChange

# lockfile, install command, script runner
_MANAGERS = {
    "npm": ("package-lock.json", "npm ci", "npm run"),
    "pnpm": ("pnpm-lock.yaml", "pnpm install --frozen-lockfile", "pnpm run"),
    "yarn-classic": ("yarn.lock", "yarn install --frozen-lockfile", "yarn run"),
    "yarn-berry": ("yarn.lock", "yarn install --immutable", "yarn run"),
    "bun": ("bun.lock", "bun install --frozen-lockfile", "bun run"),
    "deno": ("deno.lock", "deno install", "deno task"),
}
_NODE_VERSION = re.compile(r"[0-9]+(\.x)?")
_SEMVER = re.compile(r"[0-9]+\.[0-9]+(\.[0-9]+)?")


def _bootstrap(pm: str, runtime: str, version: str | None) -> str | None:
    """What makes ``pm`` available on ``runtime``; None when it comes with it."""
    if pm in ("npm", "deno") or (pm == "bun" and runtime == "bun"):
        return None
    if pm == "bun":
        return bun_install_cmd()
    if pm == "pnpm":
        return "corepack enable pnpm" if version is None else f"corepack enable pnpm && corepack install -g pnpm@{version}"
    return "corepack enable" if version is None else f"corepack enable yarn && corepack install -g yarn@{version}"


@dataclass(frozen=True)
class JsProject:
    path: str
    installed: Step
    run_prefix: str
    tag: str

    def setup(self, cmd, *, cwd=None, label=None, cache=None, env=None) -> JsProject:
        """A project whose scripts fork from ``cmd``, run after the dependencies' install."""
        return advance_install(self, cmd, cwd=cwd, label=label, cache=cache, env=env)

    def install(self) -> Step:
        return self.installed

    def run(self, script: str, **options) -> Step:
        """A package.json script (a deno.json task on deno)."""
        if options.get("label") is None:
            options = {**options, "label": f":{self.tag}: {script}"}
        return self.installed.sh(f"cd {self.path} && {self.run_prefix} {script}", **options)

    def _default_leaves(self):
        return (self.install(),)


def _deps(ready: Step, path: str, pm: str, tag: str) -> Step:
    lockfile, install, _ = _MANAGERS[pm]
    return ready.sh(
        f"cd {path} && {install}", label=f":{tag}: deps", cache=CacheOnChange(paths=(f"{path}/{lockfile}",))
    )


def _project(*, path=".", pm=None, runtime=None, version=None, image=None, base=None) -> JsProject:
    detected = detect(path) if runtime is None and pm is None else None
    if runtime is None:
        runtime = detected.runtime if detected is not None and detected.runtime else "node"
    if version is not None:
        if runtime == "node" and _NODE_VERSION.fullmatch(version) is None:
            raise ValueError(f'hm.js: invalid version {version!r}\n  → a Node major such as "22" or "22.x"')
        if runtime != "node" and _SEMVER.fullmatch(version) is None:
            raise ValueError(f'hm.js: invalid version {version!r}\n  → a version such as "1.2" or "1.2.0"')
    if runtime == "deno":
        if pm is not None:
            raise ValueError('hm.js: runtime="deno" installs its own dependencies\n  → leave pm out')
        ready = make_install_chain(
            apt_packages=("curl", "ca-certificates", "unzip"),
            install_cmd=deno_install_cmd(version),
            install_cache=CacheForever(),
            lang_tag="deno",
            install_tag="install",
            image=image,
            base=base,
        )
        return JsProject(path=path, installed=_deps(ready, path, "deno", "deno"), run_prefix="deno task", tag="deno")
    if pm is None:
        pm = detected.pm if detected is not None and detected.pm is not None else ("bun" if runtime == "bun" else "npm")
    pm_version = detected.pm_version if detected is not None else None
    if pm == "deno":
        raise ValueError('hm.js: pm="deno" is not a package manager\n  → use runtime="deno"')
    if runtime == "bun" and pm != "bun":
        raise ValueError('hm.js: runtime="bun" only supports pm="bun"')
    tag = "bun" if runtime == "bun" else "node"
    uses_bun = runtime == "bun" or pm == "bun"
    ready = make_install_chain(
        # bun's installer needs unzip.
        apt_packages=("curl", "ca-certificates", "unzip") if uses_bun else ("curl", "ca-certificates"),
        install_cmd=bun_install_cmd(version) if runtime == "bun" else node_install_cmd(version or "22"),
        install_cache=CacheForever(),
        lang_tag=tag,
        install_tag="install",
        image=image,
        base=base,
    )
    bootstrap = _bootstrap(pm, runtime, pm_version)
    if bootstrap is not None:
        # A pinned manager changes with package.json; an unpinned one never does.
        cache = CacheOnChange(paths=(f"{path}/package.json",)) if pm_version is not None else CacheForever()
        ready = installs_software(ready.sh(bootstrap, label=f":{tag}: {pm}", cache=cache))
    return JsProject(path=path, installed=_deps(ready, path, pm, tag), run_prefix=_MANAGERS[pm][2], tag=tag)


class _JsEntry:
    def project(self, *, path=".", pm=None, runtime=None, version=None, image=None, base=None) -> JsProject:
        return _project(path=path, pm=pm, runtime=runtime, version=version, image=image, base=base)


js = _JsEntry()
ts = js
