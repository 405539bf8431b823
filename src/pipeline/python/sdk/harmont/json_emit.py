"""One pipeline's IR as JSON text, cache keys resolved."""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

from .keygen import resolve_pipeline_keys


def pipeline_to_json(p, *, pipeline_org=None, pipeline_slug=None, now=None, base_path=None, env=None) -> str:
    """Org and slug default to ``HM_PIPELINE_ORG`` / ``HM_PIPELINE_SLUG`` (else "default"),
    ``now`` to the clock, ``base_path`` to the working directory, ``env`` to the process's."""
    env = os.environ if env is None else env
    ir = copy.deepcopy(p)
    resolve_pipeline_keys(
        ir.get("graph", {}),
        pipeline_org=env.get("HM_PIPELINE_ORG", "default") if pipeline_org is None else pipeline_org,
        pipeline_slug=env.get("HM_PIPELINE_SLUG", "default") if pipeline_slug is None else pipeline_slug,
        now=int(time.time()) if now is None else now,
        base_path=Path.cwd() if base_path is None else base_path,
        env=env,
    )
    return json.dumps(ir, ensure_ascii=False, separators=(", ", ": "))
