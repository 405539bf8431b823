"""Cache keys: sha256 over org, slug, step key, the parent's cache key and what the policy depends on.

Each policy contributes one string:
    forever    "forever-" + sha256(cmd NUL env)
    ttl        "ttl-<now // duration>-" + sha256(cmd NUL env)
    on_change  "sha-" + sha256(hash(file) NUL ... for the paths, sorted)
    compose    "compose-" + sha256(the sub-policies' strings, "none" for none)
where env is "NAME=value" NUL for each named variable, sorted by name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve_pipeline_keys(graph, *, pipeline_org, pipeline_slug, now, base_path, env):
    """Adds ``cache["key"]`` to every cached node of ``graph``, in node order; returns ``graph``."""
    nodes = graph.get("nodes", [])
    parent_of: dict[str, str] = {}
    for source, target, kind in graph.get("edges", []):
        if kind == "builds_in":
            parent_of[nodes[target]["step"]["key"]] = nodes[source]["step"]["key"]
    cache_key: dict[str, str] = {}
    for node in nodes:
        step = node["step"]
        cache = step.get("cache")
        if not cache or cache["policy"] == "none":
            continue
        parent = parent_of.get(step["key"])
        if parent is None:
            parent_part = "scratch"
        elif parent in cache_key:
            parent_part = cache_key[parent]
        else:
            raise ValueError(
                f"step {step['key']!r} is cached but builds on {parent!r}, which is not\n"
                "  → give the parent step a cache policy too"
            )
        policy = _policy_part(cache, step.get("cmd", ""), now, Path(base_path), env)
        key = _sha("\0".join([pipeline_org, pipeline_slug, step["key"], parent_part, policy]))
        cache["key"] = key
        cache_key[step["key"]] = key
    return graph


def _env_part(names, env) -> str:
    return "".join(f"{name}={env.get(name, '')}\0" for name in sorted(names))


def _policy_part(policy: dict[str, Any], cmd: str, now: int, base: Path, env) -> str:
    kind = policy["policy"]
    if kind == "none":
        return "none"
    if kind == "forever":
        return "forever-" + _sha(cmd + "\0" + _env_part(policy.get("env_keys", []), env))
    if kind == "ttl":
        window = now // policy["duration_seconds"]
        return f"ttl-{window}-" + _sha(cmd + "\0" + _env_part(policy.get("env_keys", []), env))
    if kind == "on_change":
        files: list[Path] = []
        for pattern in sorted(policy["paths"]):
            if any(ch in pattern for ch in "*?["):
                files.extend(sorted(base.glob(pattern)))
            elif (base / pattern).exists():
                files.append(base / pattern)
        return "sha-" + _sha("".join(_content_hash(f) + "\0" for f in files))
    if kind == "compose":
        return "compose-" + _sha(
            "".join(_policy_part(sub, cmd, now, base, env) for sub in policy["sub_policies"])
        )
    raise ValueError(f"hm: unknown cache policy {kind!r}")


def _content_hash(path: Path) -> str:
    """A file's sha256; a directory's over each file's relative path and bytes, in sorted order."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if not path.is_dir():
        raise FileNotFoundError(f"on_change path does not exist: {path}")
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode("utf-8") + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()
