"""What a pipeline or target may return: steps, lists/tuples of them, or a toolchain project."""

from __future__ import annotations

from ._step import Step


def as_leaves(value) -> tuple[Step, ...]:
    """``value`` as a flat tuple of leaf steps; a toolchain object gives its default actions."""
    if isinstance(value, (tuple, list)):
        leaves: list[Step] = []
        for item in value:
            leaves.extend(_leaves_of(item))
        return tuple(leaves)
    return _leaves_of(value)


def _leaves_of(item) -> tuple[Step, ...]:
    if isinstance(item, Step):
        return (item,)
    if isinstance(item, (tuple, list)):
        return as_leaves(item)
    default = getattr(type(item), "_default_leaves", None)
    if default is not None:
        return tuple(default(item))
    raise TypeError(
        f"hm.target: cannot use {type(item).__name__} as a pipeline leaf\n"
        "  → return a Step, a tuple of Steps, or a toolchain project "
        "(RustProject, RustToolchain, JsProject, UvProject)"
    )
