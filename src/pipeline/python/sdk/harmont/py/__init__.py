"""``hm.py``: Python project tooling (``hm.py.uv``)."""

from .uv import UvProject, uv

__all__ = ["UvProject", "uv"]
