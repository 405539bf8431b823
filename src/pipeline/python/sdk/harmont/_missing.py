"""Toolchain namespaces this SDK does not implement yet: using one says so, at the user's line."""

from __future__ import annotations


class MissingToolchain:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise NotImplementedError(
            f"hm.{self._name}.{attribute} is not available in hm's Python SDK yet\n"
            f"  → write the steps with hm.sh(...), or write this pipeline in TypeScript (.hm/*.ts)"
        )

    def __repr__(self) -> str:
        return f"<hm.{self._name}: not available yet>"
