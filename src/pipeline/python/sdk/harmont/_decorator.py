"""``@hm.pipeline(...)`` on a function: declares a pipeline."""

from __future__ import annotations

import re
from functools import wraps

from ._deps import call_with_deps, validate_target_signature
from ._registry import PipelineRegistration, register

_SLUG = re.compile(r"[a-z][a-z0-9-]{0,63}")


def pipeline(slug=None, *, name=None, triggers=(), allow_manual=True, env=None, timeout=None):
    def decorate(fn):
        validate_target_signature(fn)
        resolved = fn.__name__ if slug is None else slug
        if not isinstance(resolved, str) or _SLUG.fullmatch(resolved) is None:
            raise ValueError(
                f"invalid pipeline slug {resolved!r}\n"
                "  → a lower-case letter, then up to 63 lower-case letters, digits or '-'"
            )

        @wraps(fn)
        def render():
            return call_with_deps(fn)

        register(
            PipelineRegistration(
                slug=resolved,
                name=resolved if name is None else name,
                triggers=tuple(triggers),
                allow_manual=allow_manual,
                env=env,
                fn=render,
                timeout=timeout,
            )
        )
        return render

    return decorate
