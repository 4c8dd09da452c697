"""The track verb: ask a carrier now where a tracking number is."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.common import UsageError


def register(verbs: Any) -> None:
    track = verbs.add_parser("track", help="ask the carrier now for a tracking number")
    track.add_argument("number")
    track.add_argument("--carrier", choices=("ups", "fedex", "dhl"))
    track.add_argument("--json", action="store_true")
    track.set_defaults(func=cmd_track, needs_schema=False)


def cmd_track(args: argparse.Namespace, settings: Any) -> int:
    from connectors import get_connector
    from connectors.carriers import guess_carrier

    carrier = args.carrier or guess_carrier(args.number)
    if carrier is None:
        raise UsageError(f"track: cannot tell the carrier of {args.number!r}; give --carrier")
    (result,) = get_connector(carrier, settings).track([args.number])
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        from connectors.carriers import format_tracking

        print(format_tracking(result))
    return 0 if result.found else 1
