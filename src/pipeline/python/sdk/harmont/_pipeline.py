"""Lowering: the chains behind a pipeline's leaves become the v0 IR graph."""

from __future__ import annotations

from typing import Any

from ._duration import parse_duration
from ._install_marks import record_lowered
from ._keys import resolve_keys
from ._step import Step
from .cache import policy_to_dict

# Roots start from an image; children from their parent's result.
DEFAULT_IMAGE = "ubuntu:24.04"
BASE_ENV = (("DEBIAN_FRONTEND", "noninteractive"), ("TERM", "dumb"))


def pipeline(leaves, *, env: dict[str, str] | None = None, timeout=None) -> dict[str, Any]:
    """The v0 IR of the chains ending in ``leaves`` (a list or tuple of steps)."""
    if not leaves:
        raise ValueError(
            "pipeline must have at least one leaf\n  → pass the last step of each chain"
        )
    ir: dict[str, Any] = {"version": "0"}
    if timeout is not None:
        ir["timeout_seconds"] = parse_duration(timeout)
    ir["graph"] = _lower_to_graph(list(leaves), env=env)
    return ir


def _in_order(leaves: list[Step]) -> list[Step]:
    """Every link reachable from ``leaves``, parents first: leaf by leaf, each chain from its root."""
    seen: set[int] = set()
    ordered: list[Step] = []
    for leaf in leaves:
        if leaf.is_wait:
            ordered.append(leaf)
            continue
        chain = []
        link = leaf
        while link is not None and id(link) not in seen:
            chain.append(link)
            link = link.parent
        for link in reversed(chain):
            seen.add(id(link))
            ordered.append(link)
    return ordered


def _emitted_parent(step: Step) -> Step | None:
    """The nearest ancestor that is a node (scratch roots and forks are not)."""
    link = step.parent
    while link is not None and (link.cmd is None or link.is_wait):
        link = link.parent
    return link


def _step_fields(step: Step, key: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"key": key, "cmd": step.cmd}
    optional = (
        ("label", step.label),
        ("cache", None if step.cache is None else policy_to_dict(step.cache)),
        ("timeout_seconds", step.timeout_seconds),
        ("image", step.image),
        ("runner", step.runner),
        ("runner_args", step.runner_args),
    )
    for name, value in optional:
        if value is not None:
            fields[name] = value
    return fields


def _lower_to_graph(leaves: list[Step], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    ordered = _in_order(leaves)
    commands = [s for s in ordered if s.cmd is not None and not s.is_wait]
    keys = resolve_keys(commands)
    index = {id(s): i for i, s in enumerate(commands)}
    nodes: list[dict[str, Any]] = []
    edges: list[list[Any]] = []
    children: set[int] = set()
    since_wait: list[int] = []
    before_wait: list[int] = []
    for step in ordered:
        if step.is_wait:
            before_wait, since_wait = since_wait, []
            continue
        if step.cmd is None:
            continue
        me = index[id(step)]
        merged = dict(BASE_ENV)
        merged.update(env or {})
        merged.update(step.env or {})
        nodes.append({"step": _step_fields(step, keys[id(step)]), "env": merged})
        record_lowered(step, keys[id(step)])
        parent = _emitted_parent(step)
        if parent is not None:
            # Edges name nodes by key: the first node holding the parent's key.
            parent_key = keys[id(parent)]
            source = next(index[id(s)] for s in commands if keys[id(s)] == parent_key)
            edges.append([source, me, "builds_in"])
            children.add(me)
        edges.extend([before, me, "depends_on"] for before in before_wait)
        since_wait.append(me)
    for i, node in enumerate(nodes):
        if i not in children and "image" not in node["step"]:
            node["step"]["image"] = DEFAULT_IMAGE
    return {"nodes": nodes, "node_holes": [], "edge_property": "directed", "edges": edges}


def pipeline_to_json(p: dict[str, Any], **options: Any) -> str:
    """``p`` (from ``pipeline``) as IR JSON, cache keys filled in (see json_emit)."""
    from .json_emit import pipeline_to_json as emit

    return emit(p, **options)
