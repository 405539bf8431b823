"""``hm.cmake``: cmake, a compiler and its tools from apt; ``hm.cmake(path=...)`` is a project:
configure and build once (cached on CMakeLists.txt, or vcpkg.json with ``deps="vcpkg"``),
then test, install, lint and package on that build; fmt needs no build."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._install_marks import installs_software
from ._step import Step
from ._toolchain import advance_install, make_install_chain, split_action_options
from .cache import CacheForever, CacheOnChange

_COMPILER = re.compile(r"(gcc|clang)(-\d+)?")
_SOURCES = r"\( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cxx' \)"


def _compiler(compiler: str | None):
    """(family, version suffix) of ``compiler``, None for the default one."""
    if compiler is None:
        return None
    match = _COMPILER.fullmatch(compiler)
    return None if match is None else (match.group(1), match.group(2) or "")


def _apt(compiler, ccache: bool, generator: str) -> tuple[str, ...]:
    packages = ["cmake", "build-essential", "pkg-config"]
    packages += ["ninja-build"] if generator == "ninja" else []
    packages += ["ccache"] if ccache else []
    packages += ["clang-format", "clang-tidy"]
    chosen = _compiler(compiler)
    if chosen is not None:
        family, suffix = chosen
        packages += [f"gcc{suffix}", f"g++{suffix}"] if family == "gcc" else [f"clang{suffix}", f"lld{suffix}"]
    return tuple(packages)


def _verify(compiler, ccache: bool, generator: str) -> str:
    checks = ["cmake --version"]
    checks += ["ninja --version"] if generator == "ninja" else []
    checks += ["ccache --version"] if ccache else []
    chosen = _compiler(compiler)
    if chosen is not None:
        family, suffix = chosen
        checks.append(f"{family}{suffix} --version")
    return " && ".join(checks)


def _configure(path, preset, defines, compiler, ccache, generator) -> str:
    if preset is not None:
        return f"cd {path} && cmake --preset {preset}"
    words = [
        f"cd {path} && cmake -S . -B build",
        "-G Ninja" if generator == "ninja" else "-G Unix Makefiles",
        "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
    ]
    if ccache:
        words += ["-DCMAKE_C_COMPILER_LAUNCHER=ccache", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
    chosen = _compiler(compiler)
    if chosen is not None:
        family, suffix = chosen
        cxx = "g++" if family == "gcc" else "clang++"
        words += [f"-DCMAKE_C_COMPILER={family}{suffix}", f"-DCMAKE_CXX_COMPILER={cxx}{suffix}"]
    words += [f"-D{name}={value}" for name, value in (defines or {}).items()]
    return " ".join(words)


def _build(build_dir: str, target) -> str:
    return f"cmake --build {build_dir} --parallel $(nproc)" + (f" --target {target}" if target is not None else "")


def _labelled(options: dict, label: str) -> dict:
    return options if options.get("label") is not None else {**options, "label": label}


@dataclass(frozen=True)
class CMakeProject:
    toolchain: CMakeToolchain
    built: Step
    path: str
    _build_cmd: str

    def build(self) -> Step:
        return self.built

    def test(self, *, parallel: bool = True, **options) -> Step:
        jobs = " --parallel $(nproc)" if parallel else ""
        cmd = f"{self._build_cmd} && ctest --test-dir {self.path}/build --output-on-failure{jobs}"
        return self.built.sh(cmd, **_labelled(options, ":cmake: test"))

    def install(self, *, prefix=None, **options) -> Step:
        cmd = f"cmake --install {self.path}/build" + (f" --prefix {prefix}" if prefix else "")
        return self.built.sh(cmd, **_labelled(options, ":cmake: install"))

    def fmt(self, *, fix: bool = False, **options) -> Step:
        mode = "-i" if fix else "--dry-run --Werror"
        cmd = f"cd {self.path} && find . -not -path './build/*' {_SOURCES} | xargs clang-format {mode}"
        return self.toolchain.installed.sh(cmd, **_labelled(options, ":cmake: fmt"))

    def lint(self, **options) -> Step:
        return self.built.sh(f"cd {self.path} && run-clang-tidy -p build", **_labelled(options, ":cmake: lint"))

    def package(self, *, generator=None, **options) -> Step:
        cmd = f"cd {self.path}/build && cpack" + (f" -G {generator}" if generator else "")
        return self.built.sh(cmd, **_labelled(options, ":cmake: package"))


@dataclass(frozen=True)
class CMakeToolchain:
    installed: Step
    compiler: str | None
    ccache: bool
    generator: str

    def setup(self, cmd, *, cwd=None, label=None, cache=None, env=None) -> CMakeToolchain:
        return advance_install(self, cmd, cwd=cwd, label=label, cache=cache, env=env)

    def project(self, *, path=".", preset=None, defines=None, deps=None, target=None, cache=None) -> CMakeProject:
        if deps is not None and deps != "vcpkg":
            raise ValueError(f'hm.cmake: invalid deps {deps!r}\n  → "vcpkg", or leave it out')
        configure = _configure(path, preset, defines, self.compiler, self.ccache, self.generator)
        if cache is None:
            watched = "vcpkg.json" if deps == "vcpkg" else ("CMakeLists.txt" if path == "." else f"{path}/CMakeLists.txt")
            cache = CacheOnChange(paths=(watched,))
        parent = self.installed
        if deps == "vcpkg":
            vcpkg = (
                "git clone https://github.com/microsoft/vcpkg.git /opt/vcpkg && /opt/vcpkg/bootstrap-vcpkg.sh"
                f" && cd {path} && /opt/vcpkg/vcpkg install"
            )
            parent = installs_software(
                parent.sh(vcpkg, label=":cmake: vcpkg", cache=CacheOnChange(paths=("vcpkg.json",)))
            )
        # The configure step has cd'd into the project: its build runs on the relative directory.
        built = parent.sh(f"{configure} && {_build('build', target)}", label=":cmake: build", cache=cache)
        return CMakeProject(toolchain=self, built=built, path=path, _build_cmd=_build(f"{path}/build", target))


class CMakeEntry:
    def __call__(
        self,
        *,
        path=None,
        compiler=None,
        ccache=True,
        generator="ninja",
        preset=None,
        defines=None,
        deps=None,
        target=None,
        cache=None,
        image=None,
        base=None,
    ):
        if generator not in ("ninja", "make"):
            raise ValueError(f'hm.cmake: invalid generator {generator!r}\n  → "ninja" or "make"')
        if compiler is not None and _COMPILER.fullmatch(compiler) is None:
            raise ValueError(f'hm.cmake: invalid compiler {compiler!r}\n  → "gcc", "gcc-14", "clang" or "clang-18"')
        installed = make_install_chain(
            apt_packages=_apt(compiler, ccache, generator),
            install_cmd=_verify(compiler, ccache, generator),
            install_cache=CacheForever(),
            lang_tag="cmake",
            install_tag="verify",
            image=image,
            base=base,
            # It only checks what apt installed.
            installs=False,
        )
        toolchain = CMakeToolchain(installed=installed, compiler=compiler, ccache=ccache, generator=generator)
        if path is None:
            return toolchain
        return toolchain.project(path=path, preset=preset, defines=defines, deps=deps, target=target, cache=cache)

    def _project(self, options: dict):
        own, step = split_action_options(options)
        own.setdefault("path", ".")
        return self(**own), step

    def build(self, **options) -> Step:
        # A build's step options are the project's: the one-shot form ignores them.
        project, _ = self._project(options)
        return project.built

    def _one(self, action: str, options: dict) -> Step:
        project, step = self._project(options)
        return getattr(project, action)(**step)

    def test(self, **options) -> Step:
        return self._one("test", options)

    def fmt(self, **options) -> Step:
        return self._one("fmt", options)

    def lint(self, **options) -> Step:
        return self._one("lint", options)

    def install(self, **options) -> Step:
        return self._one("install", options)

    def package(self, **options) -> Step:
        return self._one("package", options)


cmake = CMakeEntry()
