"""Calling targets and pipelines with their parameters filled in.

A parameter annotated ``Target[T]`` gets the target of the same name, one
annotated ``BaseImage("x")`` an empty root in image x, any other one its
default. Anything else is refused when the function is decorated.
"""

from __future__ import annotations

import inspect
import typing

from ._step import Step
from ._typing import _TARGET_MARKER, _BaseImageMarker

_TARGETS_BY_NAME: dict = {}
# Names being called right now, outermost first: a name met again is a cycle.
_RESOLVING: list[str] = []


def register_named_target(name: str, fn) -> None:
    if name in _TARGETS_BY_NAME:
        raise ValueError(
            f"hm: duplicate target name {name!r}\n  → give one of them another name with @hm.target(name=...)"
        )
    _TARGETS_BY_NAME[name] = fn


def clear_target_names() -> None:
    _TARGETS_BY_NAME.clear()
    _RESOLVING.clear()


def _annotations(fn) -> dict:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:
        # A forward reference that does not resolve: the raw annotations still carry the markers.
        return dict(getattr(fn, "__annotations__", {}))


def _marker(annotation):
    if typing.get_origin(annotation) is None:
        return None
    for meta in typing.get_args(annotation)[1:]:
        if meta is _TARGET_MARKER or isinstance(meta, _BaseImageMarker):
            return meta
    return None


def _kind_problem(param: inspect.Parameter) -> str | None:
    if param.kind is inspect.Parameter.VAR_POSITIONAL:
        return "hm: target functions cannot take *args\n  → name each dependency as a parameter"
    if param.kind is inspect.Parameter.VAR_KEYWORD:
        return "hm: target functions cannot take **kwargs\n  → name each dependency as a parameter"
    if param.kind is inspect.Parameter.POSITIONAL_ONLY:
        return (
            f"hm: target functions cannot have positional-only parameters (got {param.name!r})\n"
            "  → drop the '/': dependencies are found by parameter name"
        )
    return None


def _unfillable(name: str) -> str:
    return (
        f"hm: parameter {name!r} has no marker and no default\n"
        '  → annotate it hm.Target[T] (a target of that name) or Annotated[hm.Step, hm.BaseImage("...")], '
        "or give it a default"
    )


def validate_target_signature(fn) -> None:
    hints = _annotations(fn)
    for param in inspect.signature(fn).parameters.values():
        problem = _kind_problem(param)
        if problem is not None:
            raise TypeError(problem)
        if _marker(hints.get(param.name)) is None and param.default is inspect.Parameter.empty:
            raise TypeError(_unfillable(param.name))


def resolve_deps(fn) -> dict:
    hints = _annotations(fn)
    arguments = {}
    for param in inspect.signature(fn).parameters.values():
        problem = _kind_problem(param)
        if problem is not None:
            raise TypeError(problem)
        marker = _marker(hints.get(param.name))
        if marker is _TARGET_MARKER:
            target = _TARGETS_BY_NAME.get(param.name)
            if target is None:
                raise TypeError(
                    f"hm: target {param.name!r} not found\n"
                    "  → define it with @hm.target(), or rename the parameter after an existing target"
                )
            arguments[param.name] = target()
        elif isinstance(marker, _BaseImageMarker):
            arguments[param.name] = Step(image=marker.image)
        elif param.default is not inspect.Parameter.empty:
            arguments[param.name] = param.default
        else:
            raise TypeError(_unfillable(param.name))
    return arguments


def call_with_deps(fn):
    name = fn.__name__
    if name in _RESOLVING:
        raise RuntimeError(
            "hm: dependency cycle detected\n"
            f"  → {' → '.join([*_RESOLVING, name])}\n"
            "  fix: break the cycle, or move what both need into a target of its own"
        )
    _RESOLVING.append(name)
    try:
        return fn(**resolve_deps(fn))
    finally:
        _RESOLVING.pop()
