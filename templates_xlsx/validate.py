"""Validate a parsed data sheet against its kind's declaration, column by column.

The rules come from the kind's marshmallow schema: each CellField converts its column in a
few passes, then the field's validators (Length, Range, OneOf, Regexp, or any callable) and
the schema's row rules run over the converted columns. Rows that fail anything are loaded
through marshmallow itself, whose messages are the ones users see; the column pass only
finds the cells and names the error code. Duplicate business keys are errors too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, validate
from openpyxl.utils import column_index_from_string, get_column_letter

from templates_xlsx.fields import Amount, CellField
from templates_xlsx.kind import CellError, SheetKind, Table, rule_fails
from templates_xlsx.parse import ParsedSheet
from templates_xlsx.safety import SheetFacts

# Columns our results and simulation workbooks add; such a workbook, corrected, can be uploaded
# again.
RESULT_COLUMNS = ("status", "message", "simulation", "simulation message")
# Codes that marshmallow cannot see, because the parser hands back no value for the cell.
LOCAL_CODES = {
    "formula_no_value": "The formula has no saved value; open the workbook in Excel and save "
    "it, or paste the values instead of the formula."
}
VALIDATOR_CODES: list[tuple[type, str]] = [
    (validate.Length, "too_long"),
    (validate.Range, "out_of_range"),
    (validate.OneOf, "not_a_choice"),
    (validate.Regexp, "bad_format"),
]


def header_key(value: Any) -> str:
    return " ".join(str(value).replace("*", " ").split()).casefold()


class SheetValidator:
    """Validates one sheet of one kind; errors accumulate in self.errors."""

    def __init__(self, kind: SheetKind, parsed: ParsedSheet, facts: SheetFacts | None) -> None:
        self.kind = kind
        self.parsed = parsed
        self.facts = facts
        self.sheet = parsed.sheet or kind.name
        self.errors: list[CellError] = []
        self.positions: dict[str, int] = {}  # field -> 0-based column

    def error(self, row: int, field: str | None, code: str, message: str) -> None:
        column = self.positions.get(field, 0) if field else 0
        header = self.kind_header(field) if field else self._header_text(column)
        self.errors.append(
            CellError(row, field, header, get_column_letter(column + 1), code, message, self.sheet)
        )

    def kind_header(self, field: str) -> str:
        return dict(self.kind.fields)[field].header

    def _header_text(self, column: int) -> str:
        header = self.parsed.header
        return str(header[column]) if column < len(header) else ""

    # --- the sheet as a whole -------------------------------------------------------

    def check_header(self) -> bool:
        expected = [(name, f.header) for name, f in self.kind.fields]
        found = [header_key(v) for v in self.parsed.header]
        ok = True
        for column, (name, text) in enumerate(expected):
            self.positions[name] = column
            here = found[column] if column < len(found) else ""
            if here == header_key(text):
                continue
            ok = False
            where = found.index(header_key(text)) if header_key(text) in found else None
            code, message = (
                (
                    "header_order",
                    f"Column {text} is in column {get_column_letter(where + 1)}; "
                    f"move it back to column {get_column_letter(column + 1)} as in the template.",
                )
                if where is not None
                else (
                    "bad_header",
                    f"Expected the header {text!r} here; download the template "
                    f"'{self.kind.name}' again and copy your rows into it.",
                )
            )
            self._header_error(column, text, code, message)
        extra = [(i, v) for i, v in enumerate(found[len(expected) :], start=len(expected)) if v]
        for column, text in extra:
            if text in RESULT_COLUMNS:
                continue
            ok = False
            if text in {header_key(h) for _, h in expected}:
                continue  # already reported as out of order
            message = f"Unknown column {self.parsed.header[column]!r}; remove it."
            self._header_error(column, str(self.parsed.header[column]), "unknown_column", message)
        return ok

    def _header_error(self, column: int, header: str, code: str, message: str) -> None:
        self.errors.append(
            CellError(1, None, header, get_column_letter(column + 1), code, message, self.sheet)
        )

    def check_layout(self) -> None:
        for (top, left), (bottom, right) in self.parsed.merged:
            if right > left or bottom > top:
                area = f"{get_column_letter(left + 1)}{top + 1}:{get_column_letter(right + 1)}"
                self.errors.append(
                    CellError(
                        top + 1,
                        None,
                        self._header_text(left),
                        get_column_letter(left + 1),
                        "merged_cells",
                        f"Cells {area}{bottom + 1} are merged; unmerge them (one value per cell).",
                        self.sheet,
                    )
                )
        for row in (self.facts.hidden_rows if self.facts else [])[:1000]:
            self.error(
                row,
                None,
                "hidden_row",
                f"Row {row} is hidden; unhide or delete it, so "
                "that everything uploaded is visible.",
            )

    # --- the cells ------------------------------------------------------------------

    def run(self) -> Table:
        columns, bad = {}, set()
        numbers = self.parsed.row_numbers
        index_of = {row: i for i, row in enumerate(numbers)}
        formulas = self._formula_cells(index_of)
        failing: dict[int, dict[str, str]] = {}
        width = len(self.parsed.columns)
        for name, field in self.kind.fields:
            column = self.positions[name]
            raw = self.parsed.columns[column] if column < width else [""] * len(numbers)
            values, codes = self._column(field, raw)
            for index in formulas.get(column, ()):
                values[index] = None
                codes[index] = "formula_no_value"
            for index, code in codes.items():
                failing.setdefault(index, {})[name] = code
            columns[name] = values
        for rule in self.kind.schema.row_rules:
            for index in self._rule_failures(rule, columns, failing):
                failing.setdefault(index, {})[rule.field] = rule.code
        self._report(failing, numbers)
        bad.update(failing)
        table = Table(columns=columns, row_numbers=numbers, bad_rows=bad)
        self._duplicates(table)
        return table

    def _formula_cells(self, index_of: dict[int, int]) -> dict[int, list[int]]:
        cells: dict[int, list[int]] = {}
        for ref in self.facts.formula_cells if self.facts else []:
            match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
            if match and int(match[2]) in index_of:
                column = column_index_from_string(match[1]) - 1
                cells.setdefault(column, []).append(index_of[int(match[2])])
        return cells

    def _column(self, field: CellField, raw: list[Any]) -> tuple[list[Any], dict[int, str]]:
        values, codes = field.convert_column(raw)
        if field.required and None in values:
            for index, value in enumerate(values):
                if value is None and index not in codes:
                    codes[index] = "required"
        present = [v for v in values if v is not None] if None in values else values
        for rule in field.validators:
            if _all_pass(rule, present):
                continue
            check = _column_check(rule)
            for index, value in enumerate(values):
                if value is not None and index not in codes and not check(value):
                    codes[index] = _validator_code(rule)
                    values[index] = None  # as marshmallow leaves a failed field out of the row
        return values, codes

    def _rule_failures(self, rule: Any, columns: dict, failing: dict) -> list[int]:
        """Rows failing a row rule; the rule sees its `needs` fields and its own field."""
        names = list(dict.fromkeys((*rule.needs, rule.field)))
        found = []
        for index, values in enumerate(zip(*(columns[n] for n in names), strict=True)):
            if rule.field in failing.get(index, {}):
                continue
            if rule_fails(rule, dict(zip(names, values, strict=True))):
                found.append(index)
        return found

    def _report(self, failing: dict[int, dict[str, str]], numbers: list[int]) -> None:
        """marshmallow loads each failing row; its messages are what the user reads."""
        names = [n for n, _ in self.kind.fields]
        for index in sorted(failing):
            raw = {n: self._raw(n, index) for n in names}
            try:
                self.kind.load_row(raw)
                messages: dict[str, Any] = {}
            except ValidationError as exc:
                messages = exc.messages if isinstance(exc.messages, dict) else {}
            for name, code in failing[index].items():
                self.error(
                    numbers[index], name, code, _message(messages.get(name), code, name, self.kind)
                )

    def _raw(self, name: str, index: int) -> Any:
        column = self.positions[name]
        return self.parsed.columns[column][index] if column < len(self.parsed.columns) else ""

    def _duplicates(self, table: Table) -> None:
        keys = self.kind.key_fields
        fields = dict(self.kind.fields)
        columns = [_key_column(fields[k], table.columns[k]) for k in keys]
        rows = list(zip(*columns, strict=True))
        if len(set(rows)) == len(rows):
            return
        seen: dict[tuple, int] = {}
        for index, key in enumerate(rows):
            if index in table.bad_rows:
                continue
            first = seen.setdefault(key, index)
            if first != index:
                table.bad_rows.add(index)
                row = table.row_numbers[first]
                headers = ", ".join(self.kind_header(k) for k in keys)
                self.error(
                    table.row_numbers[index],
                    keys[0],
                    "duplicate_key",
                    f"Same {headers} as row {row}.",
                )


def _key_column(field: CellField, values: list[Any]) -> list[Any]:
    """Decimals compare equal across scales (10 == 10.0) but we key on their normal form."""
    if isinstance(field, Amount):
        return [None if v is None else v.normalize() for v in values]
    return values


def _all_pass(rule: Any, present: list[Any]) -> bool:
    """Whole-column answer for the common validators: does every present value pass?"""
    if not present:
        return True
    if isinstance(rule, validate.OneOf):
        return set(present) <= set(rule.choices)
    if isinstance(rule, validate.Length) and rule.equal is None:
        lengths = list(map(len, present))
        return (rule.min is None or min(lengths) >= rule.min) and (
            rule.max is None or max(lengths) <= rule.max
        )
    if isinstance(rule, validate.Range):
        check = _range_check(rule)
        return check(min(present)) and check(max(present))
    return False


def _validator_code(rule: Any) -> str:
    return next((code for kind, code in VALIDATOR_CODES if isinstance(rule, kind)), "invalid")


def _column_check(rule: Any) -> Callable[[Any], bool]:
    """A fast yes/no for one validator, with the validator's own parameters."""
    if isinstance(rule, validate.OneOf):
        choices = set(rule.choices)
        return choices.__contains__
    if isinstance(rule, validate.Length):
        low, high, equal = rule.min, rule.max, rule.equal
        if equal is not None:
            return lambda v: len(v) == equal
        return lambda v: (low is None or len(v) >= low) and (high is None or len(v) <= high)
    if isinstance(rule, validate.Range):
        return _range_check(rule)
    if isinstance(rule, validate.Regexp):
        return lambda v: rule.regex.match(v) is not None

    def call(value: Any) -> bool:
        try:
            rule(value)
        except ValidationError:
            return False
        return True

    return call


def _range_check(rule: validate.Range) -> Callable[[Any], bool]:
    low, high = rule.min, rule.max

    def check(value: Any) -> bool:
        if low is not None and (value < low if rule.min_inclusive else value <= low):
            return False
        return not (high is not None and (value > high if rule.max_inclusive else value >= high))

    return check


def _message(found: Any, code: str, name: str, kind: SheetKind) -> str:
    if code in LOCAL_CODES:
        return LOCAL_CODES[code]
    if isinstance(found, list) and found:
        return str(found[0])
    if isinstance(found, str):
        return found
    return dict(kind.fields)[name].error_messages.get(code, "Not a valid value.")
