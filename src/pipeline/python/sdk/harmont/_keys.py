"""Step keys: the explicit ``key=``, else the label as a slug when no other step claims it, else a hash."""

from __future__ import annotations

import hashlib
import re

_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


def slugify_label(label: str) -> str:
    """Lower-case ASCII words joined by ``-``; ``:emoji:`` codes dropped."""
    text = _SHORTCODE.sub(" ", label.lower())
    return _SEPARATORS.sub("-", text).strip("-")


def hash_key(parent_key: str, cmd: str, position: int) -> str:
    """Twelve hex digits of sha256(parent key, command, position)."""
    digest = hashlib.sha256(f"{parent_key}\0{cmd}\0{position}".encode())
    return digest.hexdigest()[:12]


def resolve_keys(steps) -> dict[int, str]:
    """Key of each step, by ``id(step)`` (equal steps on different branches keep their own)."""
    steps = list(steps)
    explicit = {id(s): s.key_override for s in steps if s.key_override is not None}
    slugs = {}
    for s in steps:
        slug = slugify_label(s.label) if s.label is not None else ""
        if slug:
            slugs[id(s)] = slug
    # A label shared by two steps is nobody's key, explicit keys included.
    uses: dict[str, int] = {}
    for slug in slugs.values():
        uses[slug] = uses.get(slug, 0) + 1
    taken = set(explicit.values())
    keys: dict[int, str] = {}
    for position, s in enumerate(steps):
        sid = id(s)
        if sid in explicit:
            keys[sid] = explicit[sid]
            continue
        slug = slugs.get(sid)
        if slug is not None and slug not in taken and uses[slug] == 1:
            keys[sid] = slug
            taken.add(slug)
            continue
        parent = keys.get(id(s.parent), "") if s.parent is not None else ""
        keys[sid] = hash_key(parent, s.cmd or "", position)
    return keys
