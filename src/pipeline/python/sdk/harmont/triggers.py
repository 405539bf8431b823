"""What starts a pipeline besides a manual run: pushes and pull requests."""

from __future__ import annotations

from dataclasses import dataclass

PR_ACTIONS = ("closed", "opened", "ready_for_review", "reopened", "synchronize")
DEFAULT_PR_ACTIONS = ("opened", "synchronize", "reopened")


def _globs(value):
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class Trigger:
    def to_dict(self) -> dict:
        raise NotImplementedError


@dataclass(frozen=True)
class PushTrigger(Trigger):
    branches: tuple[str, ...] | None
    tags: tuple[str, ...] | None

    def to_dict(self) -> dict:
        out: dict = {"event": "push"}
        if self.branches is not None:
            out["branches"] = list(self.branches)
        if self.tags is not None:
            out["tags"] = list(self.tags)
        return out


@dataclass(frozen=True)
class PullRequestTrigger(Trigger):
    branches: tuple[str, ...] | None
    types: tuple[str, ...]

    def to_dict(self) -> dict:
        out: dict = {"event": "pull_request"}
        if self.branches is not None:
            out["branches"] = list(self.branches)
        out["types"] = list(self.types)
        return out


def push(branch=None, tag=None) -> PushTrigger:
    """A push to a branch or a tag matching a glob (or any of a list of globs)."""
    if (branch is None) == (tag is None):
        raise ValueError(
            "hm.push: give either branch or tag, not both and not neither\n"
            '  → hm.push(branch="main") or hm.push(tag="v*")'
        )
    return PushTrigger(branches=_globs(branch), tags=_globs(tag))


def pull_request(branches=None, types=None) -> PullRequestTrigger:
    """A pull request into ``branches``, for the given actions."""
    actions = DEFAULT_PR_ACTIONS if types is None else tuple(types)
    if not actions:
        raise ValueError("hm.pull_request: types must be non-empty")
    for action in actions:
        if action not in PR_ACTIONS:
            raise ValueError(
                f"unknown pull_request type {action!r}\n  → valid: {', '.join(PR_ACTIONS)}"
            )
    return PullRequestTrigger(branches=_globs(branches), types=actions)
