"""Parameter annotations that say what to inject: ``Target[T]`` and ``BaseImage("image")``.

Both are PEP 593 metadata, so type checkers still see the plain type.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

T = TypeVar("T")


class _TargetMarker:
    __slots__ = ()

    def __repr__(self) -> str:
        return "hm.Target"


_TARGET_MARKER = _TargetMarker()

# Target[Step] is Annotated[Step, _TARGET_MARKER]: inject the target named like the parameter.
Target = Annotated[T, _TARGET_MARKER]


class _BaseImageMarker:
    __slots__ = ("image",)

    def __init__(self, image: str) -> None:
        self.image = image

    def __repr__(self) -> str:
        return f"hm.BaseImage({self.image!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _BaseImageMarker) and other.image == self.image

    def __hash__(self) -> int:
        return hash((_BaseImageMarker, self.image))


def BaseImage(image: str) -> _BaseImageMarker:  # noqa: N802 (reads as a type in annotations)
    """``Annotated[hm.Step, hm.BaseImage("debian:12")]``: inject an empty root in that image."""
    if not isinstance(image, str) or image == "":
        raise TypeError('hm: BaseImage needs a non-empty image name\n  → BaseImage("ubuntu:24.04")')
    return _BaseImageMarker(image)
