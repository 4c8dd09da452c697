"""The SOQL the connector sends, parsed and run against the stored records.

Supported: SELECT of fields, parent fields (Parent.AccountNumber) and one level of child
subquery (SELECT ... FROM OrderItems ORDER BY ...), FROM one object, WHERE conditions joined
by AND (=, !=, <, <=, >, >=, IN) on string, number, boolean, null, date and datetime literals,
ORDER BY fields ASC/DESC, LIMIT. Anything else is MALFORMED_QUERY, as an unknown field is
INVALID_FIELD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sandbox.salesforce.schema import (
    CHILDREN,
    OBJECTS,
    RELATIONSHIPS,
    SYSTEM_FIELDS,
    parse_datetime,
    record_id,
    sf_datetime,
)
from sandbox.salesforce.store import RequestError, Store, payload_of

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:\\.|[^'\\])*')"
    r"|(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))"
    r"|(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)"
    r"|(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<punct>[(),]))"
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


def malformed(message: str) -> RequestError:
    return RequestError(400, "MALFORMED_QUERY", message)


@dataclass
class Query:
    sobject: str
    fields: list[str] = field(default_factory=list)
    children: list[Query] = field(default_factory=list)
    where: list[tuple[str, str, Any]] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                raise malformed(f"unexpected token at: {text[position : position + 20]!r}")
            kind = match.lastgroup or ""
            self.items.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        at = self.index + offset
        return self.items[at] if at < len(self.items) else ("end", "")

    def next(self) -> tuple[str, str]:
        item = self.peek()
        self.index += 1
        return item

    def keyword(self, *words: str) -> bool:
        kind, value = self.peek()
        if kind == "name" and value.upper() == words[0]:
            for offset, word in enumerate(words):
                if self.peek(offset)[1].upper() != word:
                    return False
            self.index += len(words)
            return True
        return False

    def expect(self, kind: str, value: str | None = None) -> str:
        got_kind, got = self.next()
        if got_kind != kind or (value is not None and got.upper() != value):
            raise malformed(f"expected {value or kind}, found {got!r}")
        return got


def parse(text: str) -> Query:
    tokens = _Tokens(text)
    query = _query(tokens)
    if tokens.peek()[0] != "end":
        raise malformed(f"unexpected {tokens.peek()[1]!r}")
    return query


def _query(tokens: _Tokens) -> Query:
    tokens.expect("name", "SELECT")
    fields: list[str] = []
    children: list[Query] = []
    while True:
        if tokens.peek() == ("punct", "("):
            tokens.next()
            children.append(_query(tokens))
            tokens.expect("punct", ")")
        else:
            fields.append(tokens.expect("name"))
        if tokens.peek() != ("punct", ","):
            break
        tokens.next()
    tokens.expect("name", "FROM")
    query = Query(tokens.expect("name"), fields, children)
    if tokens.keyword("WHERE"):
        query.where.append(_condition(tokens))
        while tokens.keyword("AND"):
            query.where.append(_condition(tokens))
    if tokens.keyword("ORDER", "BY"):
        while True:
            name = tokens.expect("name")
            descending = tokens.keyword("DESC")
            if not descending:
                tokens.keyword("ASC")
            query.order_by.append((name, descending))
            if tokens.peek() != ("punct", ","):
                break
            tokens.next()
    if tokens.keyword("LIMIT"):
        query.limit = int(tokens.expect("number"))
    return query


def _condition(tokens: _Tokens) -> tuple[str, str, Any]:
    name = tokens.expect("name")
    if tokens.keyword("IN"):
        tokens.expect("punct", "(")
        values = [_literal(tokens)]
        while tokens.peek() == ("punct", ","):
            tokens.next()
            values.append(_literal(tokens))
        tokens.expect("punct", ")")
        return name, "IN", values
    op = tokens.expect("op")
    return name, "!=" if op == "<>" else op, _literal(tokens)


def _literal(tokens: _Tokens) -> Any:
    kind, text = tokens.next()
    if kind == "string":
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])
    if kind == "datetime":
        return parse_datetime(text)
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "number":
        return float(text)
    if kind == "name" and text.lower() in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[text.lower()]
    raise malformed(f"expected a value, found {text!r}")


# ---------------------------------------------------------------- running


class Runner:
    """Runs a parsed query: the ordered matching records, and each as a REST row."""

    def __init__(self, store: Store, api_version: str) -> None:
        self.store = store
        self.version = api_version

    def matching(self, query: Query) -> list[dict[str, Any]]:
        self._check(query)
        records = [r for r in self.store.all(query.sobject) if self._passes(query, r)]
        for name, descending in reversed(query.order_by):
            records.sort(key=lambda r, n=name: _sort_key(self.value(query.sobject, r, n)))
            if descending:
                records.reverse()
        return records[: query.limit] if query.limit is not None else records

    def row(self, query: Query, record: dict[str, Any]) -> dict[str, Any]:
        sobject = query.sobject
        out: dict[str, Any] = {"attributes": self._attributes(sobject, record)}
        for name in query.fields:
            relation, _, target_field = name.partition(".")
            if not target_field:
                out[name] = self.value(sobject, record, name)
                continue
            parent = self._parent(sobject, record, relation)
            if parent is None:
                out[relation] = None
            else:
                target, parent_record = parent
                nested = out.get(relation) or {
                    "attributes": self._attributes(target, parent_record)
                }
                nested[target_field] = self.value(target, parent_record, target_field)
                out[relation] = nested
        for child in query.children:
            out[child.sobject] = self._child_rows(sobject, record, child)
        return out

    def value(self, sobject: str, record: dict[str, Any], name: str) -> Any:
        if name == "Id":
            return record_id(sobject, record["internal_id"])
        if name in SYSTEM_FIELDS:
            return sf_datetime(record["modified_at"])
        relation, _, target_field = name.partition(".")
        if target_field:
            parent = self._parent(sobject, record, relation)
            return None if parent is None else self.value(parent[0], parent[1], target_field)
        return payload_of(record).get(name)

    def _attributes(self, sobject: str, record: dict[str, Any]) -> dict[str, str]:
        sf_id = record_id(sobject, record["internal_id"])
        return {
            "type": sobject,
            "url": f"/services/data/v{self.version}/sobjects/{sobject}/{sf_id}",
        }

    def _parent(
        self, sobject: str, record: dict[str, Any], relation: str
    ) -> tuple[str, dict[str, Any]] | None:
        id_field, _ = RELATIONSHIPS[relation]
        parent_id = payload_of(record).get(id_field)
        return self.store.by_id(parent_id) if parent_id else None

    def _child_rows(self, sobject: str, record: dict[str, Any], child: Query) -> Any:
        child_object, link = CHILDREN[(sobject, child.sobject)]
        own_id = record_id(sobject, record["internal_id"])
        spec = Query(child_object, child.fields, [], [(link, "=", own_id)], child.order_by)
        rows = [self.row(spec, r) for r in self.matching(spec)]
        if not rows:
            return None  # the REST API gives null, not an empty list, for no children
        return {"totalSize": len(rows), "done": True, "records": rows}

    def _check(self, query: Query) -> None:
        if query.sobject not in OBJECTS:
            raise RequestError(
                400,
                "INVALID_TYPE",
                f"sObject type '{query.sobject}' is not supported.",
            )
        names = [*query.fields, *(c[0] for c in query.where), *(o[0] for o in query.order_by)]
        for name in names:
            self._check_field(query.sobject, name)
        for child in query.children:
            if (query.sobject, child.sobject) not in CHILDREN:
                raise RequestError(
                    400,
                    "INVALID_TYPE",
                    f"Didn't understand relationship '{child.sobject}' in FROM part of query call.",
                )
            child_object = CHILDREN[(query.sobject, child.sobject)][0]
            for name in [*child.fields, *(o[0] for o in child.order_by)]:
                self._check_field(child_object, name)

    def _check_field(self, sobject: str, name: str) -> None:
        relation, _, target_field = name.partition(".")
        if target_field:
            link = RELATIONSHIPS.get(relation)
            if link is None or link[0] not in OBJECTS[sobject].fields:
                raise _no_column(name, sobject)
            self._check_field(link[1], target_field)
            return
        spec = OBJECTS[sobject]
        if name not in spec.fields and name not in spec.read_only and name not in SYSTEM_FIELDS:
            raise _no_column(name, sobject)

    def _passes(self, query: Query, record: dict[str, Any]) -> bool:
        for name, op, expected in query.where:
            actual = self.value(query.sobject, record, name)
            if not _compare(actual, op, expected):
                return False
        return True


def _no_column(name: str, sobject: str) -> RequestError:
    return RequestError(
        400,
        "INVALID_FIELD",
        f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom "
        "field, be sure to append the '__c' after the custom field name.",
    )


def _comparable(value: Any, like: Any) -> Any:
    if isinstance(like, datetime) and isinstance(value, str):
        return parse_datetime(value)
    if isinstance(like, date) and not isinstance(like, datetime) and isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "IN":
        return actual in expected
    if expected is None or actual is None:
        return (
            (actual is None) == (expected is None)
            if op == "="
            else (op == "!=" and (actual is None) != (expected is None))
        )
    actual = _comparable(actual, expected)
    try:
        return {
            "=": actual == expected,
            "!=": actual != expected,
            "<": actual < expected,
            "<=": actual <= expected,
            ">": actual > expected,
            ">=": actual >= expected,
        }[op]
    except TypeError:
        return False


def _sort_key(value: Any) -> tuple[int, Any]:
    # Salesforce sorts nulls first in ascending order.
    return (0, "") if value is None else (1, value)
