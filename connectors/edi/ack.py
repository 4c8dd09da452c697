"""The 997 for what a partner sent: one 997 set per functional group received, saying of each
set whether it was accepted and, if not, which segment and element were at fault.

A set passes when its envelope is whole (SE01 counts it, SE02 matches ST02) and its body
follows its declaration; a set of a kind not declared here is rejected as not supported
(AK5 code 1). The group is accepted (A) when every set is, partially (P) when some are,
rejected (R) when none is or its own trailer is wrong (AK9 gives GE's codes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connectors.edi import envelope, x12
from connectors.edi.build import OutGroup, OutSet, Party, interchange
from connectors.edi.declaration import SegmentError, check_set
from connectors.edi.sets import DECLARATIONS
from connectors.edi.x12 import Document, Group, Interchange, TransactionSet

SET_NOT_SUPPORTED = "1"  # AK5
SEGMENTS_IN_ERROR = "5"  # AK5: one or more segments in error


@dataclass
class SetVerdict:
    tset: TransactionSet
    accepted: bool
    codes: list[str]
    segment_errors: list[SegmentError]


def judge_set(interchange_: Interchange, group: Group, tset: TransactionSet) -> SetVerdict:
    codes = [e.code for e in envelope.check_set(interchange_, group, tset)]
    declaration = DECLARATIONS.get(tset.set_id)
    if declaration is None:
        return SetVerdict(tset, False, [SET_NOT_SUPPORTED, *codes], [])
    errors = check_set(declaration, tset)
    if errors:
        codes.append(SEGMENTS_IN_ERROR)
    return SetVerdict(tset, not codes, codes, errors)


def _tag(text: str) -> str:
    """A segment id as AK301 can carry it (2-3 letters or digits) from whatever came."""
    kept = "".join(char for char in text.upper() if char.isascii() and char.isalnum())[:3]
    return kept.ljust(2, "Z")


def _control(text: str, low: int, high: int) -> str:
    """A control number as an acknowledgment echoes it: trimmed, digits only where it must
    be numeric, cut to the element's length."""
    digits = "".join(char for char in text.strip() if char.isdigit())
    return (digits or "0")[:high].rjust(low, "0")


def _copy(value: str, delimiters: x12.Delimiters) -> str:
    """A bad value as AK404 copies it: no delimiter or control character, at most 99."""
    banned = {delimiters.element, delimiters.sub_element, delimiters.segment,
              delimiters.repetition}  # fmt: skip
    return "".join(c for c in value if c.isprintable() and c not in banned)[:99]


def _segments_of(verdict: SetVerdict, delimiters: x12.Delimiters) -> list[list[str]]:
    control = verdict.tset.control.strip()[:9].rjust(4, "0")
    rows = [["AK2", _tag(verdict.tset.set_id), control]]
    for error in verdict.segment_errors:
        rows.append(["AK3", _tag(error.tag), str(error.position), "", error.code])
        for bad in error.elements:
            rows.append(["AK4", str(bad.position), "", bad.code, _copy(bad.value, delimiters)])
    rows.append(["AK5", "A" if verdict.accepted else "R", *verdict.codes[:5]])
    return rows


def group_997(interchange_: Interchange, group: Group) -> list[list[str]]:
    """The 997's body for one received group: AK1, each set's AK2..AK5, AK9."""
    verdicts = [judge_set(interchange_, group, tset) for tset in group.sets]
    group_codes = [e.code for e in envelope.check_group(interchange_, group)]
    accepted = sum(v.accepted for v in verdicts)
    if group_codes or not accepted:
        status = "R"
    else:
        status = "A" if accepted == len(verdicts) else "P"
    included = group.ge.element(1) if group.ge and group.ge.element(1).isdigit() else "0"
    rows = [["AK1", _tag(group.functional_id), _control(group.control, 1, 9)]]
    for verdict in verdicts:
        rows += _segments_of(verdict, interchange_.delimiters)
    rows.append(["AK9", status, included, str(len(verdicts)), str(accepted), *group_codes[:5]])
    return rows


def acknowledge(
    document: Document, when: datetime, control: int = 1, group_control: int | None = None
) -> str:
    """The 997 interchanges answering every interchange of the file, with its delimiters and
    sender and receiver swapped; control numbers from `control` on (the store's allocation
    when a partner is declared, else 1)."""
    out = []
    for n, received in enumerate(document.interchanges):
        isa = received.isa
        sender = Party(isa.element(7), isa.element(8).strip(), "")
        receiver = Party(isa.element(5), isa.element(6).strip(), "")
        groups = []
        for m, group in enumerate(received.groups):
            number = str((group_control or control) + m)
            body = group_997(received, group)
            groups.append(
                OutGroup("FA", number, group.version, [OutSet("997", f"{m + 1:04d}", body)])
            )
        if received.groups:
            sender = Party(sender.qualifier, sender.isa_id, received.groups[0].gs.element(3))
            receiver = Party(receiver.qualifier, receiver.isa_id, received.groups[0].gs.element(2))
        out.append(
            interchange(
                sender,
                receiver,
                str(control + n),
                groups,
                when,
                received.delimiters,
                isa.element(12) or "00401",
                line_break="\n",
            )  # fmt: skip
        )
    return "".join(out)
