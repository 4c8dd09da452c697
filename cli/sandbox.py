"""The sandbox verbs: reset, stats and serve the simulators over the data folder."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.common import add_group


def register(verbs: Any) -> None:
    sandbox = add_group(verbs, "sandbox", "the simulators")
    reset = sandbox.add_parser("reset", help="reseed the simulated world deterministically")
    reset.add_argument("--seed", type=int, default=1)
    reset.set_defaults(func=cmd_sandbox_reset, needs_schema=False)
    stats = sandbox.add_parser("stats", help="calls, batches, records and duplicates per system")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_sandbox_stats, needs_schema=False)
    sserve = sandbox.add_parser("serve", help="serve the simulators on loopback over HTTPS")
    sserve.add_argument("--port", type=int, default=8443)
    sserve.set_defaults(func=cmd_sandbox_serve, needs_schema=False)


def install_sandbox(settings: Any) -> None:
    """Route the external systems' host names to the in-process simulators."""
    from core import http
    from sandbox.cli import state_path
    from sandbox.frame import SandboxAdapter
    from sandbox.state import SandboxState

    http.set_transport(SandboxAdapter(SandboxState(state_path(settings.data_path))))


def ensure_seeded(settings: Any) -> None:
    """A data folder's first use of the sandbox seeds it with the configured seed."""
    from sandbox import cli as sandbox_cli

    if not sandbox_cli.is_seeded(settings.data_path):
        sandbox_cli.reset(settings.data_path, int(settings.sandbox.seed))


def cmd_sandbox_reset(args: argparse.Namespace, settings: Any) -> int:
    from sandbox import cli as sandbox_cli

    counts = sandbox_cli.reset(settings.data_path, args.seed)
    print(
        f"sandbox reset with seed {args.seed}: "
        + ", ".join(f"{n} {name}" for name, n in counts.items())
    )
    return 0


def cmd_sandbox_stats(args: argparse.Namespace, settings: Any) -> int:
    from sandbox import cli as sandbox_cli

    stats = sandbox_cli.stats(settings.data_path)
    if args.json:
        print(json.dumps(stats, indent=2, sort_keys=True))
        return 0
    for system, data in sorted(stats["systems"].items()):
        calls = sum(data.get("calls", {}).values())
        records = sum(data.get("records", {}).values())
        dupes = sum(data.get("duplicates", {}).values())
        print(f"{system:12} calls {calls:>6}  records {records:>6}  duplicates {dupes:>4}")
    return 0


def cmd_sandbox_serve(args: argparse.Namespace, settings: Any) -> int:
    from sandbox import cli as sandbox_cli

    ensure_seeded(settings)
    sandbox_cli.serve(settings.data_path, args.port)
    return 0
