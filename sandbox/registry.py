"""Which simulator serves which system and host: one line per system, imported lazily.

A system's real simulator replaces its placeholder by editing its one line in SIMULATORS to
point at the module attribute holding its `Simulator`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

SIMULATORS: dict[str, str] = {
    "sap": "sandbox.sap:simulator",
    "salesforce": "sandbox.salesforce:simulator",
    "ups": "sandbox.carriers.ups:simulator",
    "fedex": "sandbox.carriers.fedex:simulator",
    "dhl": "sandbox.carriers.dhl:simulator",
    "threepl": "sandbox.threepl.app:simulator",
    "netsuite": "sandbox.netsuite.app:SIMULATOR",
    "edi": "sandbox.edi.app:SIMULATOR",
}


@dataclass(frozen=True)
class Simulator:
    """One external system: its real host names and how to build its WSGI app.

    A host entry is an exact host name ("wwwcie.ups.com") or a suffix starting with "."
    (".my.salesforce.com" matches "orderbridge-sandbox.my.salesforce.com"). `on_reset`, when
    given, is called by `SandboxState.reset` after the world is stored, to copy the system's
    part of the world into the state's records. Both are handed the `SandboxState`, which
    this module does not name: the state loads the registry, never the other way round.
    """

    system: str
    hosts: tuple[str, ...]
    make_app: Callable[[Any], WSGIApp]  # given the SandboxState
    on_reset: Callable[[Any], None] | None = None

    def serves(self, host: str) -> bool:
        return any(host_matches(entry, host) for entry in self.hosts)


class RegistryError(RuntimeError):
    """A registry line names something that is not a Simulator for that system."""


def host_matches(entry: str, host: str) -> bool:
    host = host.lower().rstrip(".")
    entry = entry.lower()
    if entry.startswith("."):
        return host.endswith(entry) and len(host) > len(entry)
    return host == entry


def load_simulator(system: str) -> Simulator:
    module_name, _, attribute = SIMULATORS[system].partition(":")
    simulator = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(simulator, Simulator) or simulator.system != system:
        raise RegistryError(f"sandbox: {SIMULATORS[system]} is not the Simulator of {system}")
    return simulator


def load_simulators() -> list[Simulator]:
    """Every registered simulator, in registry order."""
    return [load_simulator(system) for system in SIMULATORS]


def find_simulator(simulators: Iterable[Simulator], host: str) -> Simulator | None:
    return next((s for s in simulators if s.serves(host)), None)
