"""The discovery envelope: every declared pipeline with its IR, as one JSON document."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ._pipeline import pipeline as lower
from ._registry import REGISTRATIONS
from ._target import clear_target_memo
from ._unwrap import as_leaves
from .keygen import resolve_pipeline_keys


def render_entries(*, pipeline_org=None, now=None, base_path=None, env=None):
    """Yields (registration, envelope entry) for each declared pipeline, in declaration order.

    Targets are memoised across the pipelines of one render, never across renders.
    """
    clear_target_memo()
    env = os.environ if env is None else env
    org = env.get("HM_PIPELINE_ORG", "default") if pipeline_org is None else pipeline_org
    now = int(time.time()) if now is None else now
    base_path = Path.cwd() if base_path is None else base_path
    for registration in REGISTRATIONS:
        returned = registration.fn()
        try:
            leaves = as_leaves(returned)
        except TypeError as error:
            raise TypeError(f"pipeline {registration.slug!r}: invalid return value\n  → {error}") from error
        ir = lower(leaves, env=registration.env, timeout=registration.timeout)
        resolve_pipeline_keys(
            ir.get("graph", {}),
            pipeline_org=org,
            pipeline_slug=registration.slug,
            now=now,
            base_path=base_path,
            env=env,
        )
        yield registration, {
            "slug": registration.slug,
            "name": registration.name,
            "allow_manual": registration.allow_manual,
            "triggers": [trigger.to_dict() for trigger in registration.triggers],
            "definition": ir,
        }


def dump_registry_json(*, pipeline_org=None, now=None, base_path=None, env=None) -> str:
    """``{"schema_version": "1", "pipelines": [...]}``; defaults as in ``render_entries``."""
    entries = render_entries(pipeline_org=pipeline_org, now=now, base_path=base_path, env=env)
    return json.dumps({"schema_version": "1", "pipelines": [entry for _, entry in entries]})
