"""The edi verb: X12 files read, checked and acknowledged on their own, with no store and no
trading partner declared."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cli.common import add_group

EX_UNREADABLE = 2


def register(verbs: Any) -> None:
    edi = add_group(verbs, "edi", "X12 files: parse and check, acknowledge")
    parse = edi.add_parser("parse", help="interchanges, groups, sets and their content")
    parse.add_argument("file", metavar="FILE")
    parse.add_argument("--json", action="store_true", help="print it as JSON")
    parse.add_argument("--rewrite", metavar="OUT", help="write the parsed file back to OUT")
    parse.set_defaults(func=cmd_edi_parse, needs_schema=False)
    ack = edi.add_parser("ack", help="print the 997 for the file")
    ack.add_argument("file", metavar="FILE")
    ack.set_defaults(func=cmd_edi_ack, needs_schema=False)


def _read(path: str) -> Any:
    """The file's document, or None after saying why it cannot be read."""
    from connectors.edi import x12

    try:
        return x12.read(Path(path).read_bytes())
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
    except x12.X12Error as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
    return None


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    return value


def describe(document: Any) -> tuple[dict[str, Any], list[str]]:
    """What the file holds, as JSON would say it, and every error found, one line each."""
    from connectors.edi import envelope
    from connectors.edi.declaration import check_set
    from connectors.edi.sets import CONTENT, DECLARATIONS

    found = envelope.validate(document)
    problems = [str(e) for e in found if e.level != "set"] + document.problems
    out = {"encoding": document.encoding, "interchanges": []}
    for interchange in document.interchanges:
        groups = []
        for group in interchange.groups:
            sets = []
            for tset in group.sets:
                declared = DECLARATIONS.get(tset.set_id)
                where = f"interchange {interchange.control}, group {group.control}"
                where += f", set {tset.control}"
                errors = [str(e) for e in envelope.check_set(interchange, group, tset)]
                errors += [f"{where}, {e}" for e in check_set(declared, tset)] if declared else []
                problems += errors
                reader = CONTENT.get(tset.set_id)
                sets.append({
                    "set": tset.set_id, "control": tset.control,
                    "segments": len(tset.segments()), "supported": declared is not None,
                    "errors": errors,
                    "content": _plain(reader(tset)) if reader and not errors else None,
                })  # fmt: skip
            groups.append({"functional_id": group.functional_id, "control": group.control,
                           "version": group.version, "sets": sets})  # fmt: skip
        out["interchanges"].append({
            "control": interchange.control, "sender": "/".join(interchange.sender),
            "receiver": "/".join(interchange.receiver), "groups": groups,
        })  # fmt: skip
    out["valid"] = not problems
    out["problems"] = problems
    return out, problems


def _summary(out: dict[str, Any]) -> None:
    for interchange in out["interchanges"]:
        print(f"interchange {interchange['control']}: {interchange['sender']} -> "
              f"{interchange['receiver']}")  # fmt: skip
        for group in interchange["groups"]:
            print(f"  group {group['control']} ({group['functional_id']}, {group['version']})")
            for tset in group["sets"]:
                state = ("not supported" if not tset["supported"]
                         else "invalid" if tset["errors"] else "valid")  # fmt: skip
                print(f"    set {tset['set']} {tset['control']}: {tset['segments']} segments, "
                      f"{state}")  # fmt: skip


def cmd_edi_parse(args: argparse.Namespace, settings: Any) -> int:
    from connectors.edi import x12

    document = _read(args.file)
    if document is None:
        return EX_UNREADABLE
    out, problems = describe(document)
    if args.json:
        print(json.dumps(out, indent=2, default=str))
    else:
        _summary(out)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.rewrite:
        Path(args.rewrite).write_bytes(x12.write(document))
    return 1 if problems else 0


def cmd_edi_ack(args: argparse.Namespace, settings: Any) -> int:
    from connectors.edi import ack

    document = _read(args.file)
    if document is None:
        return EX_UNREADABLE
    sys.stdout.write(ack.acknowledge(document, datetime.now(timezone.utc)))
    return 0
