"""Which steps the toolchain helpers made to install software system-wide.

On the shell runner such a step changes the user's machine, so `hm run` asks
first. The IR stays the reference's, so the mark travels beside it: helpers
mark the Step objects they create, lowering records the key and command of
each marked step it emits, and the evaluator hands the records to hm.
"""

from __future__ import annotations

# By id(), holding the step so its id is never reused while marked.
_MARKED: dict = {}
_LOWERED: list = []


def installs_software(step):
    _MARKED[id(step)] = step
    return step


def record_lowered(step, key: str) -> None:
    if id(step) in _MARKED and step.cmd is not None and [key, step.cmd] not in _LOWERED:
        _LOWERED.append([key, step.cmd])


def lowered_pairs() -> list:
    return list(_LOWERED)
