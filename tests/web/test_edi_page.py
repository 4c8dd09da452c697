"""The EDI page: transaction sets newest first with the status words people read, filters,
search by PO and order number, paging; one interchange with its raw text escaped, what we
read from it and the 997 beside it; the raw download; coordinators and admins only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.store import session_scope
from core.store.models import EdiDocument, EdiInterchange
from tests.web.helpers import now
from tests.web.queue_helpers import as_role

RAW_850 = "ISA*00*          *00*          *ZZ*ACME           *ZZ*OURS           *~ST*850*0001~"
_controls = iter(range(1, 1_000_000))


def add_interchange(db_url: str, direction: str = "in", **fields) -> int:
    """An interchange as the edi jobs store it; each its own ISA13 unless told."""
    values = {
        "partner": "acme",
        "sender": "ACME" if direction == "in" else "OURS",
        "receiver": "OURS" if direction == "in" else "ACME",
        "isa_control": f"{next(_controls):09d}",
        "sets": "850",
        "status": "received" if direction == "in" else "sent",
        "raw": RAW_850,
        "at": now() - timedelta(hours=2),
        "channel": "file:po.x12",
    }
    values.update(fields)
    with session_scope(db_url) as session:
        row = EdiInterchange(direction=direction, **values)
        session.add(row)
        session.flush()
        return row.id


def add_document(db_url: str, interchange_id: int, **fields) -> int:
    """One set of an interchange, with the interchange's partner and direction."""
    with session_scope(db_url) as session:
        interchange = session.get(EdiInterchange, interchange_id)
        values = {
            "partner": interchange.partner,
            "direction": interchange.direction,
            "set_id": "850",
            "gs_control": "17",
            "st_control": "0001",
            "status": "accepted" if interchange.direction == "in" else "awaiting_997",
            "at": interchange.at,
        }
        values.update(fields)
        row = EdiDocument(interchange_id=interchange_id, **values)
        session.add(row)
        session.flush()
        return row.id


def add_set(db_url: str, direction: str = "in", minutes_ago: int = 60, **fields) -> int:
    """A set in an interchange of its own; its interchange's id."""
    at = now() - timedelta(minutes=minutes_ago)
    envelope = {k: fields.pop(k) for k in ("partner", "raw", "sets") if k in fields}
    interchange = add_interchange(db_url, direction, at=at, **envelope)
    add_document(db_url, interchange, at=at, **fields)
    return interchange


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def listed(page: str) -> list[str]:
    """The PO numbers the list shows, in its order."""
    rows = re.findall(r'<tr id="edi-document-\d+".*?</tr>', page, re.S)
    return [re.search(r"<td><code>([^<]+)</code>", row).group(1) for row in rows]


def test_the_list_shows_sets_newest_first_with_the_words_people_read(client, db_url):
    add_set(db_url, po_number="PO-OLD", order_number="SO-1", minutes_ago=300)
    soon, past = now() + timedelta(hours=1), now() - timedelta(hours=1)
    add_set(db_url, "out", set_id="855", po_number="PO-WAIT", ack_due_at=soon, minutes_ago=10)
    add_set(db_url, "out", set_id="856", po_number="PO-LATE", status="ack_late", minutes_ago=20)
    add_set(db_url, "out", set_id="855", po_number="PO-OVERDUE", ack_due_at=past, minutes_ago=30)
    add_set(db_url, "out", set_id="810", po_number="PO-REJ", status="rejected", ack_code="R")
    page = text(as_role(client, "coordinator").get("/edi"))
    assert listed(page) == ["PO-WAIT", "PO-LATE", "PO-OVERDUE", "PO-REJ", "PO-OLD"]
    assert "awaiting 997" in page and "rejected by partner" in page and "accepted" in page
    assert "SO-1" in page
    # One the job has not yet marked late, but past its due time, is late too.
    assert re.search(r"<strong>2</strong> 997 late", page)
    assert re.search(r"<strong>1</strong> awaiting 997", page)
    assert re.search(r"<strong>1</strong> rejected by partner", page)


def test_the_list_filters_by_status_partner_direction_and_set(client, db_url):
    add_set(db_url, po_number="PO-ACME-IN")
    add_set(db_url, partner="globex", po_number="PO-GLOBEX-IN")
    add_set(db_url, "out", set_id="856", po_number="PO-ACME-ASN", status="ack_late")
    as_role(client, "admin")
    assert listed(text(client.get("/edi?status=ack_late"))) == ["PO-ACME-ASN"]
    assert listed(text(client.get("/edi?partner=globex"))) == ["PO-GLOBEX-IN"]
    assert sorted(listed(text(client.get("/edi?partner=acme&direction=in")))) == ["PO-ACME-IN"]
    assert listed(text(client.get("/edi?set=856"))) == ["PO-ACME-ASN"]
    assert listed(text(client.get("/edi?status=rejected_by_partner"))) == []


def test_the_search_finds_only_that_po_or_order_number(client, db_url):
    add_set(db_url, po_number="4500012345", order_number="SO-77")
    add_set(db_url, po_number="4500099999", order_number="SO-88")
    as_role(client, "coordinator")
    assert listed(text(client.get("/edi?q=4500012345"))) == ["4500012345"]
    assert listed(text(client.get("/edi?q=so-88"))) == ["4500099999"]
    page = text(client.get("/edi?q=nothing-like-it"))
    assert listed(page) == [] and "No set matches these filters." in page


def test_a_possible_duplicate_po_is_flagged_with_its_earlier_interchange(client, db_url):
    first = add_set(db_url, po_number="PO-TWICE", minutes_ago=120)
    # only ids become links, whatever else a job left in the column
    second = add_set(db_url, po_number="PO-TWICE", duplicate_of=[first, "junk", None])
    as_role(client, "coordinator")
    page = text(client.get("/edi"))
    assert page.count("possible duplicate PO") == 1
    detail = text(client.get(f"/edi/interchanges/{second}"))
    assert "possible duplicate PO" in detail and f'href="/edi/interchanges/{first}"' in detail
    assert "junk" not in detail


def test_sets_page_by_100_newest_first(client, db_url):
    for n in range(105):
        add_set(db_url, po_number=f"PO-{n:03d}", minutes_ago=n)
    as_role(client, "coordinator")
    first = text(client.get("/edi"))
    assert len(listed(first)) == 100 and listed(first)[0] == "PO-000"
    assert "Rows 1–100 of 105" in first and 'rel="next"' in first
    second = text(client.get("/edi?page=2"))
    assert listed(second) == [f"PO-{n:03d}" for n in range(100, 105)]
    assert "Rows 101–105 of 105" in second and 'rel="prev"' in second


def test_a_received_interchange_shows_raw_escaped_what_we_read_and_our_997(client, db_url):
    ack = add_interchange(db_url, "out", sets="997", raw="ISA*ACK~AK1*PO*17~AK9*A*1*1*1~")
    hostile = RAW_850 + "N1*ST*<script>alert(1)</script>~"
    parsed = [{"set": "850", "po_number": "4500012345", "lines": [{"sku": "00123", "qty": 4}]}]
    received = add_interchange(
        db_url, raw=hostile, parsed=parsed, ack_id=ack, status="acknowledged"
    )
    add_document(db_url, received, po_number="4500012345", order_number="SO-77")
    page = text(as_role(client, "coordinator").get(f"/edi/interchanges/{received}"))
    assert "<script>alert(1)</script>" not in page
    assert "N1*ST*&lt;script&gt;alert(1)&lt;/script&gt;~" in page
    assert "<dt>po_number</dt><dd>4500012345</dd>" in page and "<dt>sku</dt><dd>00123</dd>" in page
    assert "The 997 we sent" in page and "AK9*A*1*1*1~" in page
    assert page.index("N1*ST*") < page.index("AK9*A*1*1*1~")  # side by side: ours first
    assert "SO-77" in page and "acknowledged" in page
    # the 997 names what it answers
    assert f'href="/edi/interchanges/{received}"' in text(client.get(f"/edi/interchanges/{ack}"))


def test_a_sent_interchange_shows_the_997s_that_answered_its_sets(client, db_url):
    ack = add_interchange(db_url, "in", sets="997", raw="ISA*THEIRS~AK5*R*5~AK9*R*1*1*0~")
    sent = add_interchange(db_url, "out", sets="855 855")
    add_document(db_url, sent, set_id="855", st_control="0001", status="acknowledged", ack_code="A")
    add_document(
        db_url,
        sent,
        set_id="855",
        st_control="0002",
        status="rejected",
        ack_code="R",
        ack_interchange_id=ack,
    )
    page = text(as_role(client, "admin").get(f"/edi/interchanges/{sent}"))
    assert "The 997 received" in page and "AK5*R*5~" in page
    assert "AK5 <strong>R</strong>" in page and "rejected by partner" in page
    answered = text(client.get(f"/edi/interchanges/{ack}"))
    assert "This 997 answers" in answered and f'href="/edi/interchanges/{sent}"' in answered


def test_an_interchange_without_a_997_says_when_it_is_due(client, db_url):
    due = now() + timedelta(hours=3)
    sent = add_interchange(db_url, "out", sets="856", ack_due_at=due, parsed={"deep": {"a": 1}})
    page = text(as_role(client, "coordinator").get(f"/edi/interchanges/{sent}"))
    assert "No 997 yet; due" in page and "<dt>a</dt><dd>1</dd>" in page


def test_deeply_nested_parsed_content_shows_as_json_past_the_depth(client, db_url):
    deep: dict = {"leaf": "bottom"}
    for n in range(40):
        deep = {f"level{n}": deep}
    sent = add_interchange(db_url, parsed=deep)
    page = text(as_role(client, "coordinator").get(f"/edi/interchanges/{sent}"))
    assert "<dt>level39</dt>" in page and "&#34;leaf&#34;: &#34;bottom&#34;" in page


def test_the_raw_download_is_the_stored_text_in_its_encoding(client, db_url):
    raw = "ISA*00*DÜSSELDORF~ST*850*0001~"
    received = add_interchange(db_url, raw=raw, encoding="latin-1", isa_control="000000042")
    response = as_role(client, "coordinator").get(f"/edi/interchanges/{received}/raw")
    assert response.status_code == 200
    assert response.data == raw.encode("latin-1")
    assert response.mimetype == "text/plain" and response.mimetype_params["charset"] == "latin-1"
    disposition = response.headers["Content-Disposition"]
    assert disposition == "attachment; filename=acme-in-000000042.x12"


def test_an_unknown_encoding_downloads_as_utf8_and_the_name_stays_a_file_name(client, db_url):
    received = add_interchange(db_url, partner="a/b c", raw="ISA*Ü~", encoding="no-such-codec")
    response = as_role(client, "admin").get(f"/edi/interchanges/{received}/raw")
    assert response.data == "ISA*Ü~".encode() and response.mimetype_params["charset"] == "utf-8"
    assert "/" not in response.headers["Content-Disposition"].split("filename=")[1]


def test_an_unknown_interchange_is_404(client):
    as_role(client, "coordinator")
    assert client.get("/edi/interchanges/999999").status_code == 404
    assert client.get("/edi/interchanges/999999/raw").status_code == 404
    assert client.get("/api/edi/interchanges/999999").status_code == 404


def _urls(db_url: str) -> list[str]:
    received = add_set(db_url, po_number="PO-1")
    return [
        "/edi",
        f"/edi/interchanges/{received}",
        f"/edi/interchanges/{received}/raw",
        "/api/edi",
        f"/api/edi/interchanges/{received}",
    ]


@pytest.mark.parametrize("role", ["finance", "auditor", "steward"])
def test_other_roles_are_refused(client, db_url, role):
    urls = _urls(db_url)
    as_role(client, role)
    assert [client.get(url).status_code for url in urls] == [403] * len(urls)
    assert 'href="/edi"' not in text(client.get("/"))


def test_anonymous_is_sent_to_sign_in_and_the_api_answers_401(client, db_url):
    urls = _urls(db_url)
    pages = [client.get(url) for url in urls[:3]]
    assert [p.status_code for p in pages] == [302] * 3
    assert all(p.location.startswith("/login?next=/edi") for p in pages)
    assert [client.get(url).status_code for url in urls[3:]] == [401, 401]


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_see_the_nav_link(client, db_url, role):
    as_role(client, role)
    assert '<a href="/edi">EDI</a>' in text(client.get("/"))


def test_the_api_gives_the_list_and_an_interchange(client, db_url):
    ack = add_interchange(db_url, "out", sets="997", raw="ISA*ACK~")
    received = add_set(db_url, po_number="PO-API", order_number="SO-9")
    with session_scope(db_url) as session:
        session.get(EdiInterchange, received).ack_id = ack
    as_role(client, "coordinator")
    listing = client.get("/api/edi?q=PO-API").get_json()
    assert listing["total"] == 1 and listing["counts"] == {"accepted": 1}
    item = listing["items"][0]
    assert item["po_number"] == "PO-API" and item["state_label"] == "accepted"
    detail = client.get(item["url"]).get_json()
    assert detail["raw"] == RAW_850 and detail["documents"][0]["order_number"] == "SO-9"
    assert [a["raw_url"] for a in detail["acks"]] == [f"/edi/interchanges/{ack}/raw"]
