"""The registry: one line per system, real host names, placeholders until a simulator lands."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from sandbox import registry
from sandbox.generic import placeholder
from sandbox.registry import RegistryError, Simulator, find_simulator, host_matches, load_simulators
from tests.sandbox.conftest import TODAY, echo_app

DEFAULTS = Path(__file__).resolve().parents[2] / "config" / "default.yaml"


def test_host_entries_match_exact_names_and_dot_suffixes():
    assert host_matches("wwwcie.ups.com", "WWWCIE.UPS.COM")
    assert not host_matches("wwwcie.ups.com", "evil-wwwcie.ups.com")
    assert host_matches(".suitetalk.api.netsuite.com", "123456-sb1.suitetalk.api.netsuite.com")
    assert not host_matches(".suitetalk.api.netsuite.com", "suitetalk.api.netsuite.com")
    assert not host_matches(".my.salesforce.com", "my.salesforce.com.evil.example")


def test_every_configured_connection_url_has_a_simulator():
    connections = yaml.safe_load(DEFAULTS.read_text())["connections"]
    simulators = load_simulators()
    assert [s.system for s in simulators] == list(registry.SIMULATORS)
    for system, settings in connections.items():
        for key in ("url", "instance_url"):
            if key in settings:
                host = urlsplit(settings[key]).hostname
                assert find_simulator(simulators, host).system == system
    netsuite_host = connections["netsuite"]["account"].lower().replace("_", "-")
    assert find_simulator(simulators, f"{netsuite_host}.suitetalk.api.netsuite.com")
    assert find_simulator(simulators, f"{connections['salesforce']['domain']}.salesforce.com")


def test_a_line_naming_something_else_is_refused(monkeypatch):
    monkeypatch.setitem(registry.SIMULATORS, "ups", "sandbox.generic:fedex")
    with pytest.raises(RegistryError, match="not the Simulator of ups"):
        load_simulators()


seen_resets: list[int] = []
reseeded = Simulator(
    "echo",
    ("echo.sandbox.test",),
    lambda state: echo_app,
    lambda state: seen_resets.append(state.seed),
)


def test_reset_lets_each_simulator_load_its_part_of_the_world(monkeypatch, sandbox_state):
    monkeypatch.setitem(registry.SIMULATORS, "echo", "tests.sandbox.test_registry:reseeded")
    sandbox_state.reset(9, TODAY)
    assert seen_resets[-1] == 9


def test_placeholders_are_built_from_system_and_hosts():
    simulator = placeholder("edi", ("edi.example",))
    assert (simulator.system, simulator.hosts, simulator.on_reset) == (
        "edi",
        ("edi.example",),
        None,
    )
