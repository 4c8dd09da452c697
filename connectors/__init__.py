"""Connectors: one package per external system, each behind the contracts in connectors.base.

REGISTRY maps a system name to the factory of its connector; check_connections and the CLI
find connectors here and nowhere else.
"""

from __future__ import annotations

from connectors.base import CONNECTORS as REGISTRY
from connectors.base import get_connector, register

__all__ = ["REGISTRY", "get_connector", "register"]
