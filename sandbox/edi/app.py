"""The trading partner as a simulator: its AS2 host (a placeholder until the AS2 station is
wired) and its reset, which drops the retailer's 850s for the freshly seeded world.

Its reset hangs here, in the registry's on_reset, as every simulator copies its part of the
world in on reset; the files go beside the state, in the data folder the state lives in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sandbox.edi.partner import drop_orders
from sandbox.generic import json_response
from sandbox.registry import Simulator, WSGIApp

SYSTEM = "edi"
HOSTS = ("as2.beacon-retail.example",)


def make_app(state: Any) -> WSGIApp:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        state.count_call(SYSTEM, f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO') or '/'}")
        body = {"system": SYSTEM, "status": "not_implemented",
                "message": "AS2 station not wired yet"}  # fmt: skip
        return json_response(start_response, "501 Not Implemented", body)

    return app


def on_reset(state: Any) -> None:
    """Drop the partner's orders into `<data_dir>/edi/beacon/`, the data folder being the
    one whose sandbox/ holds the state (`<data_dir>/sandbox/state.db`). A state kept
    anywhere else (a bare file in a test's folder) has no data folder: nothing is dropped."""
    if state.path.parent.name != "sandbox":
        return
    drop_orders(state.path.parent.parent, state.world, state.today)


SIMULATOR = Simulator(system=SYSTEM, hosts=HOSTS, make_app=make_app, on_reset=on_reset)
