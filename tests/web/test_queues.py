"""Both queues' lists: free-text search over key, order number and message (the user's % and
_ match themselves), sortable columns with a safe fallback, and paging past 100 rows that
keeps every filter, search and sort."""

from __future__ import annotations

import pytest

from tests.web.queue_helpers import as_role
from tests.web.queue_rows import QUEUES, link

pytestmark = pytest.mark.parametrize("queue", QUEUES.values(), ids=QUEUES.keys())


def test_a_percent_or_underscore_in_the_search_matches_only_itself(client, db_url, queue):
    queue.add(
        db_url,
        [
            {"key": "R-1", "message": "Discount of 50% refused"},
            {"key": "R-2", "message": "Discount of 50 refused on 5000 units"},
            {"key": "PL_7"},
            {"key": "PLX7"},
        ],
    )
    as_role(client, "admin")
    assert queue.keys(client.get(f"{queue.url}?q=50%25").get_data(as_text=True)) == ["R-1"]
    assert queue.keys(client.get(f"{queue.url}?q=PL_7").get_data(as_text=True)) == ["PL_7"]


def test_the_search_finds_by_key_order_number_and_message_in_any_case(client, db_url, queue):
    queue.add(
        db_url,
        [
            {"key": "SO-5001"},
            {"key": "SH-9", "order": "SO-7777"},
            {"key": "SH-10", "message": "Carrier lost WAREHOUSE-X pallet"},
        ],
    )
    as_role(client, "admin")

    def found(text: str) -> list[str]:
        return queue.keys(client.get(queue.url, query_string={"q": text}).get_data(as_text=True))

    assert found("so-5001") == ["SO-5001"]
    assert found("SO-7777") == ["SH-9"]
    assert found("warehouse-x") == ["SH-10"]
    page = client.get(f"{queue.url}?q=SO-7777").get_data(as_text=True)
    assert 'name="q" value="SO-7777"' in page


def test_an_unknown_sort_or_direction_falls_back_to_the_usual_order(client, db_url, queue):
    queue.add(db_url, [{"key": key} for key in ("B", "C", "A")])
    as_role(client, "admin")
    for query in ("", "?sort=bogus", "?sort=key&dir=sideways", "?sort=message&dir=asc"):
        page = client.get(queue.url + query).get_data(as_text=True)
        assert queue.keys(page) == ["B", "C", "A"], query
    assert queue.keys(client.get(f"{queue.url}?sort=key").get_data(as_text=True)) == ["A", "B", "C"]


def test_a_column_sorts_both_ways_and_its_heading_toggles_keeping_the_filters(
    client, db_url, queue
):
    queue.add(db_url, [{"key": key} for key in ("B", "C", "A", "D-other")])
    as_role(client, "admin")
    searched = client.get(f"{queue.url}?sort=key&dir=asc&q=other").get_data(as_text=True)
    assert queue.keys(searched) == ["D-other"]
    page = client.get(f"{queue.url}?sort=key&dir=asc&status=all").get_data(as_text=True)
    assert queue.keys(page) == ["A", "B", "C", "D-other"]
    path, args = link(page, queue.key_heading)
    assert path == queue.url
    assert args == {"sort": ["key"], "dir": ["desc"], "status": ["all"]}
    page = client.get(f"{queue.url}?sort=key&dir=desc&status=all").get_data(as_text=True)
    assert queue.keys(page) == ["D-other", "C", "B", "A"]
    assert link(page, queue.key_heading)[1]["dir"] == ["asc"]


def test_250_rows_page_by_100_keeping_search_and_sort(client, db_url, queue):
    keys = [f"BULK-{n:03d}" for n in range(250)]
    queue.add(db_url, [{"key": key} for key in reversed(keys)] + [{"key": "OTHER-1"}])
    as_role(client, "admin")
    query = "?q=bulk&sort=key&dir=asc"
    first = client.get(queue.url + query).get_data(as_text=True)
    assert queue.keys(first) == keys[:100] and "Rows 1–100 of 250" in first
    kept = {"status": ["open"], "q": ["bulk"], "sort": ["key"], "dir": ["asc"]}
    assert link(first, "Next") == (queue.url, {"page": ["2"], **kept})
    second = client.get(queue.url + query + "&page=2").get_data(as_text=True)
    assert queue.keys(second) == keys[100:200] and "Rows 101–200 of 250" in second
    third = client.get(queue.url + query + "&page=3").get_data(as_text=True)
    assert queue.keys(third) == keys[200:] and "Rows 201–250 of 250" in third
    assert "Next →" not in third
    assert link(third, "← Previous") == (queue.url, {"page": ["2"], **kept})
    past_the_end = client.get(queue.url + query + "&page=9").get_data(as_text=True)
    assert "Rows 201–250 of 250" in past_the_end
