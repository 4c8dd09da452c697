"""Reading and envelope-validating a generated 10 MB file of 850s (connectors/edi), alternating
in the same run with the ansi-x12 package's tokenizer and envelope parser on the same bytes;
then the 997 for that file and the 850-to-order reading throughput. Target: ours at least
1.5x faster than ansi-x12.

Run: python bench/bench_edi.py [--megabytes 10] [--repeat 5]
ansi-x12 is a test dependency (requirements-dev.txt), installed by `make test`; the product
never imports it. Prints both medians, the median of the paired ratios, the load average,
the 997's time and the 850s read per second; exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone

import _root  # noqa: F401  (the project root on sys.path)
from bench_reconcile import load, paired

from connectors.edi import ack, envelope
from connectors.edi import x12 as ours
from connectors.edi.sets import po850

WHEN = datetime(2026, 12, 7, 10, 15, tzinfo=timezone.utc)
LINES_PER_ORDER = 8


def order(n: int) -> list[str]:
    """One 850's segments, ST to SE."""
    body = [f"BEG*00*SA*PO{n:08d}**20261207", "CUR*BY*USD", "REF*DP*038",
            "ITD*01*3*2**10**30", "DTM*010*20261214", "TD5*B*2*UPSN*M*UPS GROUND",
            f"N1*ST*STORE {n % 900:04d}*92*{n % 900:04d}", "N3*12 MAIN ST",
            "N4*SPRINGFIELD*IL*62701*US"]  # fmt: skip
    for line in range(1, LINES_PER_ORDER + 1):
        body += [f"PO1*{line}*{line * 3}*EA*{line * 1.25:.2f}**BP*R-{line:03d}*VP*SKU-{line}"
                 f"*UP*0123456789{line % 10}5", f"PID*F****ITEM {line}"]  # fmt: skip
    body.append(f"CTT*{LINES_PER_ORDER}")
    control = f"{n:04d}"
    return [f"ST*850*{control}", *body, f"SE*{len(body) + 2}*{control}"]


def generate(megabytes: float) -> bytes:
    """One interchange, one group, as many 850s as make the size; CRLF between segments."""
    isa = ("ISA*00*          *00*          *ZZ*RETAILER       *ZZ*SUPPLIER       *261207*1015"
           "*^*00501*000000001*0*P*>")  # fmt: skip
    segments, n, size = [isa, "GS*PO*RETAILER*SUPPLIER*20261207*1015*1*X*005010"], 0, 0
    target = int(megabytes * 1_000_000)
    while size < target:
        n += 1
        one = order(n)
        segments += one
        size += sum(len(s) + 3 for s in one)
    segments += [f"GE*{n}*1", "IEA*1*000000001"]
    return ("~\r\n".join(segments) + "~\r\n").encode()


def read_ours(data: bytes) -> int:
    document = ours.read(data)
    if envelope.validate(document):
        raise SystemExit("the generated file has envelope errors")
    return sum(len(g.sets) for i in document.interchanges for g in i.groups)


def read_theirs(data: bytes) -> int:
    import x12 as ansi  # the benchmark's comparison only

    interchange = ansi.parse_x12_interchange(ansi.tokenize_x12(data))
    return sum(len(g.transactions) for g in interchange.groups)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    data = generate(args.megabytes)
    mine, theirs, sets, their_sets = paired(
        lambda: read_ours(data), lambda: read_theirs(data), args.repeat
    )
    ratio = statistics.median(b / a for a, b in zip(mine, theirs, strict=True))
    print(f"{len(data) / 1e6:.1f} MB, {sets:,} 850s (ansi-x12 counts {their_sets:,})")
    print(f"ours (read + envelope)  median {statistics.median(mine):.3f} s")
    print(f"ansi-x12                median {statistics.median(theirs):.3f} s")
    print(f"paired-median speed-up  {ratio:.2f}x (target >= 1.5x); load {load()}")
    document = ours.read(data)
    started = time.perf_counter()
    answer = ack.acknowledge(document, WHEN)
    print(f"997 for the file        {time.perf_counter() - started:.3f} s "
          f"({answer.count('AK2'):,} sets acknowledged)")  # fmt: skip
    tsets = [t for i in document.interchanges for g in i.groups for t in g.sets]
    started = time.perf_counter()
    for tset in tsets:
        po850.parse(tset)
    seconds = time.perf_counter() - started
    print(f"850 to order            {len(tsets) / seconds:,.0f} sets per second")
    return 0 if ratio >= 1.5 and sets == their_sets else 1


if __name__ == "__main__":
    sys.exit(main())
