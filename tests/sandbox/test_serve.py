"""The loopback HTTPS server: real TLS with the local CA, routing by path prefix and Host."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from sandbox import load_simulators
from sandbox.serve import SandboxServer, make_server
from tests.sandbox.conftest import ECHO_HOST, echo_simulator


@pytest.fixture
def server(sandbox_state, tmp_path) -> Iterator[SandboxServer]:
    server = make_server(
        sandbox_state, tmp_path / "ca", port=0, simulators=[echo_simulator, *load_simulators()]
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_placeholder_answers_over_https_by_path_prefix(server):
    response = requests.get(f"{server.url}/ups/", verify=str(server.ca_cert), timeout=5)
    assert response.json() == {"system": "ups", "status": "ok"}


def test_the_prefix_is_stripped_into_script_name(server):
    response = requests.post(
        f"{server.url}/echo/v1/orders?x=1",
        json={"sku": "00731"},
        verify=str(server.ca_cert),
        timeout=5,
    )
    seen = response.json()
    assert (seen["script_name"], seen["path"], seen["query"]) == (
        "/echo",
        "/v1/orders",
        {"x": ["1"]},
    )
    assert seen["body"] == '{"sku": "00731"}'
    assert seen["scheme"] == "https"


def test_a_simulated_host_header_routes_without_prefix(server):
    response = requests.get(
        f"{server.url}/v1/x", headers={"Host": ECHO_HOST}, verify=str(server.ca_cert), timeout=5
    )
    assert (response.json()["script_name"], response.json()["path"]) == ("", "/v1/x")


def test_the_index_lists_systems_and_unknown_paths_are_404(server):
    index = requests.get(f"{server.url}/", verify=str(server.ca_cert), timeout=5).json()
    assert index["systems"]["netsuite"] == "/netsuite/"
    missing = requests.get(f"{server.url}/nowhere/x", verify=str(server.ca_cert), timeout=5)
    assert missing.status_code == 404


def test_the_certificate_is_refused_without_the_ca_and_names_localhost(server):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{server.url}/ups/", timeout=5)
    port = server.server_address[1]
    response = requests.get(f"https://localhost:{port}/dhl/", verify=str(server.ca_cert), timeout=5)
    assert response.json()["system"] == "dhl"


def test_faults_apply_on_loopback_too(server, sandbox_state):
    sandbox_state.set_fault("fedex", "rate_limit", times=1, retry_after=2)
    first = requests.get(f"{server.url}/fedex/", verify=str(server.ca_cert), timeout=5)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "2")
    sandbox_state.set_fault("fedex", "timeout", seconds=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{server.url}/fedex/", verify=str(server.ca_cert), timeout=0.3)


def test_the_ca_is_created_once(sandbox_state, tmp_path):
    first = make_server(sandbox_state, tmp_path / "ca", port=0)
    ca_bytes = first.ca_cert.read_bytes()
    first.server_close()
    second = make_server(sandbox_state, tmp_path / "ca", port=0)
    second.server_close()
    assert second.ca_cert.read_bytes() == ca_bytes
    assert (tmp_path / "ca" / "ca-key.pem").stat().st_mode & 0o077 == 0
