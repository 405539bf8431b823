"""``hm.py.uv``: a uv-managed project (see harmont._python)."""

from .._python import UvEntry, UvProject, uv

__all__ = ["UvEntry", "UvProject", "uv"]
