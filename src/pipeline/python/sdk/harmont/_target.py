"""``@hm.target()``: a named building block, called once per render however many use it."""

from __future__ import annotations

from functools import wraps

from ._deps import call_with_deps, clear_target_names, register_named_target, validate_target_signature

# Results of this render, by the decorated function.
_TARGET_CACHE: dict = {}


def clear_target_memo() -> None:
    """Forgets this render's results (each render starts afresh); the names stay."""
    _TARGET_CACHE.clear()


def clear_target_cache() -> None:
    """Forgets the results and the names (between tests)."""
    _TARGET_CACHE.clear()
    clear_target_names()


def target(*, name: str | None = None):
    """Registers the function under ``name`` (default: its own name) for injection by parameter name."""

    def decorate(fn):
        validate_target_signature(fn)

        @wraps(fn)
        def memoised():
            if fn not in _TARGET_CACHE:
                _TARGET_CACHE[fn] = call_with_deps(fn)
            return _TARGET_CACHE[fn]

        register_named_target(fn.__name__ if name is None else name, memoised)
        return memoised

    return decorate
