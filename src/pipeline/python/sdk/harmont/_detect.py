"""Which JS runtime and package manager a directory uses: package.json first, then its lockfiles."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

# The first lockfile present decides.
_LOCKFILES = (
    ("bun.lock", "bun", "bun"),
    ("bun.lockb", "bun", "bun"),
    ("pnpm-lock.yaml", None, "pnpm"),
    ("deno.lock", "deno", None),
    ("package-lock.json", None, "npm"),
    ("yarn.lock", None, "yarn-classic"),
)


@dataclass(frozen=True)
class DetectedToolchain:
    runtime: str | None = None
    pm: str | None = None
    pm_version: str | None = None


def detect_from_package_json(manifest: dict) -> DetectedToolchain:
    runtime = pm = version = None
    engines = manifest.get("engines")
    if isinstance(engines, dict):
        runtime = next((name for name in ("bun", "deno", "node") if name in engines), None)
        if runtime == "bun":
            pm = "bun"
    declared = manifest.get("packageManager")
    if pm is None and isinstance(declared, str):
        parts = declared.split("@")
        name, pinned = parts[0], parts[1] if len(parts) > 1 else ""
        if name in ("npm", "pnpm", "bun"):
            pm = name
        elif name == "yarn":
            major = pinned.split(".")[0]
            pm = "yarn-berry" if major.isdigit() and int(major) >= 2 else "yarn-classic"
        if pm is not None and pinned:
            version = pinned
    return DetectedToolchain(runtime=runtime, pm=pm, pm_version=version)


def detect_from_lockfiles(files) -> DetectedToolchain:
    present = set(files)
    for name, runtime, pm in _LOCKFILES:
        if name in present:
            return DetectedToolchain(runtime=runtime, pm=pm)
    return DetectedToolchain()


def detect(path: str) -> DetectedToolchain:
    """What ``path`` (relative to the working directory: the project root) declares."""
    manifest = DetectedToolchain()
    try:
        with open(os.path.join(path, "package.json")) as file:
            manifest = detect_from_package_json(json.load(file))
    except (OSError, ValueError):
        pass
    try:
        locks = detect_from_lockfiles(os.listdir(path))
    except OSError:
        locks = DetectedToolchain()
    return DetectedToolchain(
        runtime=manifest.runtime if manifest.runtime is not None else locks.runtime,
        pm=manifest.pm if manifest.pm is not None else locks.pm,
        pm_version=manifest.pm_version,
    )
