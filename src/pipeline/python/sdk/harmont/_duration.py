"""Durations as whole seconds: "1h30m" / "45s" strings, ints, or timedeltas."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"h": 3600, "m": 60, "s": 1}
_WHOLE = re.compile(r"(?:[0-9]+[hms])+")
_PART = re.compile(r"([0-9]+)([hms])")


def parse_duration(value: str | int | timedelta) -> int:
    """Seconds in ``value``; always positive."""
    # True is an int to Python, never a duration to a user.
    if isinstance(value, bool) or not isinstance(value, (str, int, timedelta)):
        shown = repr(value) if isinstance(value, bool) else type(value).__name__
        raise TypeError(f"hm: a timeout is a str, int, or timedelta, not {shown}")
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
    elif isinstance(value, int):
        seconds = value
    else:
        text = value.strip()
        if _WHOLE.fullmatch(text) is None:
            raise ValueError(
                f"hm: invalid timeout duration {value!r}\n"
                '  → write it like "45s", "10m" or "1h30m" (units h, m, s)'
            )
        seconds = sum(int(count) * _UNITS[unit] for count, unit in _PART.findall(text))
    if seconds <= 0:
        raise ValueError(f"hm: timeout duration must be positive, got {value!r}\n  → e.g. \"30s\"")
    return seconds
