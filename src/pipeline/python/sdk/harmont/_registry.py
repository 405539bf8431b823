"""The pipelines declared so far, in declaration order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class PipelineRegistration:
    slug: str
    name: str
    triggers: tuple
    allow_manual: bool
    env: dict[str, str] | None
    fn: Callable[[], Any]
    timeout: str | int | None = None


REGISTRATIONS: list[PipelineRegistration] = []


def register(registration: PipelineRegistration) -> None:
    for earlier in REGISTRATIONS:
        if earlier.slug == registration.slug:
            raise ValueError(
                f"duplicate pipeline slug {registration.slug!r}\n  → give each @hm.pipeline its own slug"
            )
    REGISTRATIONS.append(registration)


def clear_registry() -> None:
    REGISTRATIONS.clear()
