"""Readers of the carriers' reference specs and recorded replies (never copied into the project)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def load_spec(path: Path) -> dict[str, Any]:
    raw = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".json":
        return json.loads(raw)
    # UPS Tracking.yaml and Shipping.yaml hold TAB characters that YAML refuses.
    return yaml.safe_load(raw.replace("\t", " "))


def karrio(reference: Path, name: str) -> Any:
    path = reference / "carriers" / "example-responses-karrio" / name
    return json.loads(path.read_text(encoding="utf-8-sig"))


def walk(node: Any, key: str):
    """Every value of `key` anywhere in node."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from walk(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item, key)
