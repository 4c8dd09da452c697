"""FedEx tracking of 10,000 numbers on the sandbox: API calls (budget 334) and auth calls apart.

Run: python bench/bench_carrier_calls.py [--numbers 10000] [--seed 1]
Prints the calls the FedEx simulator counted, the largest batch, and the time taken; exits 1
when the track calls exceed ceil(numbers / 30).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import _root  # noqa: E402, F401  (the project root on sys.path)

from config import load_settings  # noqa: E402
from connectors.carriers import fedex, fedex_records  # noqa: E402
from core import http  # noqa: E402
from sandbox import SandboxAdapter, SandboxState  # noqa: E402


def numbers_to_track(state: SandboxState, count: int) -> list[str]:
    """The world's FedEx numbers first, then numbers FedEx never issued (answered not found)."""
    known = state.stats()["tracking_numbers"]["fedex"]
    padding = (f"6{n:011d}" for n in range(count))
    return (known + [n for n in padding if n not in known])[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        state = SandboxState(Path(folder) / "sandbox.db")
        state.reset(args.seed)
        http.set_transport(SandboxAdapter(state))
        settings = load_settings(overrides={"data_dir": folder})
        carrier = fedex.from_settings(settings)
        numbers = numbers_to_track(state, args.numbers)
        started = time.perf_counter()
        results = carrier.track(numbers)
        elapsed = time.perf_counter() - started
        fedex_stats = state.stats()["systems"]["fedex"]
        state.close()
        http.set_transport(None)
    calls = fedex_stats["calls"]
    budget = math.ceil(args.numbers / fedex_records.MAX_TRACKING_NUMBERS)
    found = sum(r.found for r in results)
    print(f"numbers tracked          {len(results)} ({found} known to the world)")
    print(f"track API calls          {calls.get('track', 0)} (budget {budget})")
    print(f"auth calls (apart)       {calls.get('oauth', 0)}")
    print(f"largest batch            {fedex_stats['max_batch'].get('track', 0)}")
    print(f"client-side count        api {carrier.api_calls}, auth {carrier.auth_calls}")
    print(f"elapsed                  {elapsed:.2f}s ({len(results) / elapsed:.0f} numbers/s)")
    print(f"calls per number         {calls.get('track', 0) / max(len(results), 1):.4f}")
    return 0 if calls.get("track", 0) <= budget else 1


if __name__ == "__main__":
    sys.exit(main())
