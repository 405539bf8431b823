"""Cache policies a step can carry (``cache=`` on ``sh``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class CachePolicy:
    """Common base of the policies below."""


@dataclass(frozen=True)
class CacheNone(CachePolicy):
    """Never reuse the step's result."""


@dataclass(frozen=True)
class CacheForever(CachePolicy):
    """Reuse while the command, the parent and the named variables stay the same."""

    env_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class CacheTTL(CachePolicy):
    """Reuse within a time window of ``duration``."""

    duration: timedelta
    env_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class CacheOnChange(CachePolicy):
    """Reuse until a file under ``paths`` changes."""

    paths: tuple[str, ...]


@dataclass(frozen=True)
class CacheCompose(CachePolicy):
    """Reuse only while every one of ``policies`` would."""

    policies: tuple[CachePolicy, ...]


def policy_to_dict(policy: CachePolicy) -> dict:
    """The IR form of ``policy`` (its ``key`` is added later, by keygen)."""
    if isinstance(policy, CacheNone):
        return {"policy": "none"}
    if isinstance(policy, CacheForever):
        return {"policy": "forever", "env_keys": list(policy.env_keys)}
    if isinstance(policy, CacheTTL):
        return {
            "policy": "ttl",
            "duration_seconds": int(policy.duration.total_seconds()),
            "env_keys": list(policy.env_keys),
        }
    if isinstance(policy, CacheOnChange):
        return {"policy": "on_change", "paths": list(policy.paths)}
    if isinstance(policy, CacheCompose):
        return {"policy": "compose", "sub_policies": [policy_to_dict(p) for p in policy.policies]}
    raise TypeError(f"hm: {type(policy).__name__} is not a cache policy")
