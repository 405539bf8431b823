"""hm's Python SDK: declare CI pipelines as chains of shell steps.

    import harmont as hm

    @hm.pipeline("ci", triggers=[hm.push(branch="main")])
    def ci():
        base = hm.sh("apt-get update", cache=hm.ttl(timedelta(days=1)))
        return hm.group([base.sh("make test"), base.sh("make lint")])

``hm pipelines`` / ``hm run`` evaluate every ``.hm/*.py`` and render what
they declare to the discovery envelope (``dump_registry_json``).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from . import _decorator, py
from ._duration import parse_duration
from ._cmake import CMakeProject, CMakeToolchain, cmake
from ._elixir import ElixirProject, elixir
from ._envelope import dump_registry_json
from ._go import GoToolchain, go
from ._js import JsProject, js, ts
from ._python import PythonToolchain, python
from ._rust import RustProject, RustToolchain, rust
from ._zig import ZigProject, ZigToolchain, zig
from ._pipeline import pipeline as _lower
from ._pipeline import pipeline_to_json
from ._step import Step, scratch, wait
from ._target import clear_target_cache, target
from ._toolchain import apt_base
from ._typing import BaseImage, Target
from .cache import CacheCompose, CacheForever, CacheNone, CacheOnChange, CachePolicy, CacheTTL
from .triggers import pull_request, push
from .types import Pipeline

pr = pull_request


def pipeline(*args, **kwargs):
    """``pipeline([leaves], env=..., timeout=...)`` is the IR of those chains;
    ``@pipeline(slug, name=, triggers=, allow_manual=, env=, timeout=)`` declares a pipeline."""
    if args and isinstance(args[0], (list, tuple)):
        return _lower(args[0], **kwargs)
    if args and all(isinstance(arg, Step) for arg in args):
        count = len(args)
        raise TypeError(
            "hm.pipeline() takes a single list of leaves, not variadic Step arguments\n"
            f"  observed: {count} positional Step argument{'' if count == 1 else 's'}\n"
            "  → wrap the leaves in a list: hm.pipeline([a, b])"
        )
    return _decorator.pipeline(*args, **kwargs)


def sh(cmd, *, cwd=None, label=None, cache=None, env=None, image=None, key=None) -> Step:
    """A root step running ``cmd`` (``scratch().sh(...)``)."""
    return scratch().sh(cmd, cwd=cwd, label=label, cache=cache, env=env, image=image, key=key)


def group(steps) -> tuple[Step, ...]:
    """Several leaves as one value (a tuple), to return from a pipeline or target."""
    return tuple(steps)


def timeout(duration, step: Step) -> Step:
    """``step`` with a time limit: "30s", "5m", "1h30m", seconds, or a timedelta."""
    if step.is_wait:
        raise ValueError(
            "hm: timeout() cannot wrap a wait() barrier\n"
            '  → put the timeout on a command step: hm.timeout("30s", hm.sh("make test"))'
        )
    return dataclasses.replace(step, timeout_seconds=parse_duration(duration))


def ttl(duration: timedelta) -> CacheTTL:
    """Reuse the step's result for ``duration``."""
    return CacheTTL(duration=duration)


def on_change(*paths: str) -> CacheOnChange:
    """Reuse the step's result until a file under ``paths`` (from the project root) changes."""
    return CacheOnChange(paths=tuple(paths))


def forever(env_keys: tuple[str, ...] = ()) -> CacheForever:
    """Reuse the step's result while its command and the variables ``env_keys`` stay the same."""
    return CacheForever(env_keys=env_keys)


def compose(*policies: CachePolicy) -> CacheCompose:
    """Reuse the step's result only while every one of ``policies`` would."""
    return CacheCompose(policies=tuple(policies))



__all__ = [
    "BaseImage",
    "CacheCompose",
    "CacheForever",
    "CacheNone",
    "CacheOnChange",
    "CachePolicy",
    "CacheTTL",
    "Pipeline",
    "Step",
    "Target",
    "apt_base",
    "cmake",
    "compose",
    "dump_registry_json",
    "elixir",
    "forever",
    "go",
    "group",
    "js",
    "on_change",
    "pipeline",
    "pipeline_to_json",
    "pr",
    "pull_request",
    "push",
    "py",
    "python",
    "rust",
    "scratch",
    "sh",
    "target",
    "timeout",
    "ts",
    "ttl",
    "wait",
    "zig",
]
