"""The chain: an immutable Step points at the step it builds on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .cache import CachePolicy


@dataclass(frozen=True)
class Step:
    """One link of a chain. ``sh`` and ``fork`` return new links; none is ever changed.

    A link without ``cmd`` (a scratch root or a fork) is never a node of the
    IR: it only passes its parent on. A ``wait`` link is a barrier between
    the steps listed before and after it.
    """

    cmd: str | None = None
    parent: Step | None = None
    is_wait: bool = False
    continue_on_failure: bool = False
    label: str | None = None
    cache: CachePolicy | None = None
    env: dict[str, str] | None = None
    timeout_seconds: int | None = None
    # Only a root uses it: a child starts from its parent's result.
    image: str | None = None
    runner: str | None = None
    runner_args: dict[str, Any] | None = None
    key_override: str | None = None

    def sh(
        self,
        cmd: str,
        *,
        cwd: str | None = None,
        label: str | None = None,
        cache: CachePolicy | None = None,
        env: dict[str, str] | None = None,
        image: str | None = None,
        runner: str | None = None,
        runner_args: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Step:
        """A step running ``cmd`` on top of this one."""
        if cwd == "":
            raise ValueError(
                "hm: cwd must be a non-empty path\n"
                '  → leave cwd out to run in the workspace root, or give a directory such as cwd="web"'
            )
        if cwd is not None:
            cmd = f"cd {cwd} && {cmd}"
        # An image given to a scratch root (a BaseImage parameter) is the first command's.
        if image is None and self.cmd is None:
            image = self.image
        return Step(
            cmd=cmd,
            parent=self,
            label=label,
            cache=cache,
            env=env,
            image=image,
            runner=runner,
            runner_args=runner_args,
            key_override=key,
        )

    def fork(self, label: str | None = None) -> Step:
        """A branch point: each ``sh`` on it starts a separate chain from this step."""
        return Step(parent=self, label=label)


def scratch() -> Step:
    """An empty root to start a chain from."""
    return Step()


def wait(*, continue_on_failure: bool = False) -> Step:
    """A barrier: what is listed after it starts once what is listed before it has finished."""
    return Step(is_wait=True, continue_on_failure=continue_on_failure)
