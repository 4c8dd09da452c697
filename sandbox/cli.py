"""What `run.py sandbox ...` calls: reset, stats, serve, faults and the EDI partner's poll,
over the data folder.

Standalone too: `python -m sandbox.cli --data-dir var reset --seed 1`.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sandbox import serve as serving
from sandbox.edi import partner
from sandbox.edi.cases import edi_table
from sandbox.registry import SIMULATORS
from sandbox.state import SandboxState
from sandbox.world.planted import readme_tables


def state_path(data_dir: Path) -> Path:
    return Path(data_dir) / "sandbox" / "state.db"


def ca_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "sandbox" / "ca"


def open_state(data_dir: Path) -> SandboxState:
    return SandboxState(state_path(data_dir))


def is_seeded(data_dir: Path) -> bool:
    if not state_path(data_dir).exists():
        return False
    state = open_state(data_dir)
    try:
        return state.is_seeded
    finally:
        state.close()


def reset(data_dir: Path, seed: int, today: date | None = None) -> dict[str, Any]:
    """Wipe the sandbox and seed its world; counts for a one-line summary."""
    state = open_state(data_dir)
    try:
        world = state.reset(seed, today)
    finally:
        state.close()
    return {
        "seed": world.seed,
        "today": world.today.isoformat(),
        "customers": len(world.customers),
        "ship_tos": len(world.ship_tos),
        "items": len(world.items),
        "orders": len(world.orders),
        "shipments": len(world.shipments),
        "invoices": len(world.invoices),
        "state": str(state_path(data_dir)),
    }


def stats(data_dir: Path) -> dict[str, Any]:
    """{"systems": {system: {"calls", "max_batch", "records", "duplicates"}},
    "tracking_numbers": {carrier: [...]}}"""
    state = open_state(data_dir)
    try:
        return state.stats()
    finally:
        state.close()


def set_fault(data_dir: Path, system: str, kind: str, **params: Any) -> dict[str, Any]:
    if system not in SIMULATORS:
        raise ValueError(f"sandbox: unknown system {system!r}; known: {', '.join(SIMULATORS)}")
    state = open_state(data_dir)
    try:
        return state.set_fault(system, kind, **params)
    finally:
        state.close()


def clear_faults(data_dir: Path, system: str | None = None) -> None:
    state = open_state(data_dir)
    try:
        state.clear_faults(system)
    finally:
        state.close()


def serve(data_dir: Path, port: int = serving.DEFAULT_PORT) -> None:
    """Serve every simulator on https://127.0.0.1:PORT until SIGTERM or Ctrl-C."""
    state = open_state(data_dir)
    if not state.is_seeded:
        print("sandbox: the state has no world yet; run `sandbox reset --seed N` first")
    try:
        serving.serve(state, ca_dir(data_dir), port)
    finally:
        state.close()


def edi_tick(data_dir: Path, now: datetime | None = None) -> dict[str, int]:
    """The trading partner's poll of its outbound folder, once, on the sandbox clock."""
    state = open_state(data_dir)
    try:
        moment = now or state.clock()
    finally:
        state.close()
    return partner.tick(data_dir, moment)


def _param(text: str) -> tuple[str, Any]:
    key, _, value = text.partition("=")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    commands = parser.add_subparsers(dest="command", required=True)
    p_reset = commands.add_parser("reset", help="wipe the sandbox and seed its world")
    p_reset.add_argument("--seed", type=int, required=True)
    p_reset.add_argument("--today", type=date.fromisoformat, default=None)
    commands.add_parser("stats", help="call counts, records, duplicates").add_argument(
        "--json", action="store_true"
    )
    p_serve = commands.add_parser("serve", help="serve every simulator on loopback HTTPS")
    p_serve.add_argument("--port", type=int, default=serving.DEFAULT_PORT)
    p_fault = commands.add_parser("fault", help="switch a fault on: SYSTEM KIND [key=value ...]")
    p_fault.add_argument("system")
    p_fault.add_argument("kind")
    p_fault.add_argument("params", nargs="*", help="e.g. times=3 retry_after=5 path=/api")
    commands.add_parser("clear-faults").add_argument("system", nargs="?")
    commands.add_parser("planted", help="the README's tables of planted cases (seed 1)")
    commands.add_parser("edi-tick", help="the EDI trading partner polls its folder once")
    args = parser.parse_args(argv)

    if args.command == "reset":
        print(json.dumps(reset(args.data_dir, args.seed, args.today)))
    elif args.command == "stats":
        print(json.dumps(stats(args.data_dir), indent=2 if args.json else None))
    elif args.command == "serve":
        serve(args.data_dir, args.port)
    elif args.command == "fault":
        params = dict(_param(p) for p in args.params)
        print(json.dumps(set_fault(args.data_dir, args.system, args.kind, **params)))
    elif args.command == "planted":
        print(f"{readme_tables(date.today())}\n\n{edi_table(date.today())}")
    elif args.command == "edi-tick":
        print(json.dumps(edi_tick(args.data_dir)))
    else:
        clear_faults(args.data_dir, args.system)
    return 0


if __name__ == "__main__":
    sys.exit(main())
