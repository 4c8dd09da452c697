"""Spreadsheet cell fields: marshmallow fields that read what a workbook reader hands back.

A cell arrives as str, float, int, bool, date or datetime ('' when empty). Each field turns
one cell into our value (`convert`, which marshmallow's `_deserialize` calls) and, for speed,
a whole column at once (`convert_column`): the common case of a clean column is checked with
a few C-speed passes and only odd cells go through `convert`, so both paths give the same
answer by construction. Error keys double as the error codes shown to users.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

# C0 control characters other than tab, line feed and carriage return (and DEL): they break
# ERP text fields and never belong in what a person typed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"[\r\n\t]")


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class CellField(fields.Field):
    """A column of a sheet: its header, help text and width ride along as metadata."""

    number_format = "General"
    excel_type: str | None = None  # data-validation type in the template, if any
    default_error_messages = {
        "bad_type": "Not a valid value.",
        "required": "This cell must be filled in.",
        "null": "This cell must be filled in.",
    }

    def __init__(
        self,
        header: str,
        *,
        help: str = "",
        width: int = 14,
        key: bool = False,
        example: Any = None,
        **kwargs: Any,
    ) -> None:
        metadata = {"header": header, "help": help, "width": width, "key": key}
        metadata["example"] = example
        super().__init__(metadata=metadata, **kwargs)

    @property
    def header(self) -> str:
        return self.metadata["header"]

    def convert(self, value: Any) -> Any:
        raise NotImplementedError

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return self.convert(value)

    def error_code(self, error: ValidationError) -> str:
        return getattr(error, "code", None) or "bad_type"

    def fail(self, code: str, **kwargs: Any) -> ValidationError:
        error = self.make_error(code, **kwargs)
        error.code = code  # type: ignore[attr-defined]
        return error

    def convert_column(self, values: list[Any]) -> tuple[list[Any], dict[int, str]]:
        """(converted values with None for empty cells, {index: error code})."""
        return self._slow_column(values, range(len(values)), [None] * len(values))

    def _slow_column(
        self, values: list[Any], indexes: Any, out: list[Any]
    ) -> tuple[list[Any], dict[int, str]]:
        errors: dict[int, str] = {}
        for index in indexes:
            value = values[index]
            if is_empty(value):
                out[index] = None
                continue
            try:
                out[index] = self.convert(value)
            except ValidationError as exc:
                out[index] = None
                errors[index] = self.error_code(exc)
        return out, errors


class Text(CellField):
    """Free text; tabs and line breaks only where `multiline`."""

    number_format = "@"
    default_error_messages = {
        "bad_type": "Enter text here.",
        "control_character": "Remove the invisible control character from this text.",
        "line_break": "Put this on one line, without line breaks or tabs.",
    }

    def __init__(self, header: str, *, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(header, **kwargs)
        self.multiline = multiline

    def convert(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail("bad_type")
        text = value.strip() if isinstance(value, str) else _number_text(value)
        if _CONTROL.search(text):
            raise self.fail("control_character")
        if not self.multiline and _NEWLINE.search(text):
            raise self.fail("line_break")
        return text

    def convert_column(self, values: list[Any]) -> tuple[list[Any], dict[int, str]]:
        if set(map(type, values)) <= {str}:
            out = list(map(str.strip, values))
            if "" in out:
                out = [value or None for value in out]
            joined = "".join(filter(None, out))
            # isprintable: one C pass that is True without any control character, tab or
            # line break (and False for a few harmless ones, which the regexes then clear)
            bad = not joined.isprintable() and (
                _CONTROL.search(joined) or (not self.multiline and _NEWLINE.search(joined))
            )
            if not bad:
                return out, {}
        return super().convert_column(values)


class Code(Text):
    """A code (order number, SKU, postal code): text, so leading zeros survive."""

    default_error_messages = {
        "bad_type": "Enter the code as text.",
        "control_character": "Remove the invisible control character from this code.",
        "line_break": "Put this on one line, without line breaks or tabs.",
    }

    def convert(self, value: Any) -> str:
        if isinstance(value, float) and not value.is_integer():
            raise self.fail("bad_type")
        return super().convert(value)


class Choice(Text):
    """One of a fixed list, matched without regard to case; a drop-down in the template."""

    excel_type = "list"

    def __init__(self, header: str, *, choices: tuple[str, ...], **kwargs: Any) -> None:
        listed = ", ".join(choices) if len(choices) <= 12 else "the drop-down list"
        validators = [validate.OneOf(choices, error=f"Pick one of {listed}.")]
        super().__init__(header, validate=validators, **kwargs)
        self.choices = choices
        self._canonical = {choice.casefold(): choice for choice in choices}

    def convert(self, value: Any) -> str:
        text = super().convert(value)
        return self._canonical.get(text.casefold(), text)

    def convert_column(self, values: list[Any]) -> tuple[list[Any], dict[int, str]]:
        if set(values) <= set(self.choices) | {""}:
            return [value or None for value in values], {}
        return CellField.convert_column(self, values)


class WholeNumber(CellField):
    number_format = "0"
    excel_type = "whole"
    default_error_messages = {"bad_type": "Enter a whole number, such as 3."}

    def convert(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.fail("bad_type")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,15}", value.strip()):
            return int(value.strip())
        raise self.fail("bad_type")

    def convert_column(self, values: list[Any]) -> tuple[list[Any], dict[int, str]]:
        whole = {v: int(v) for v in distinct_floats(values) if v.is_integer()}
        out = list(map(whole.get, values))
        odd = [i for i, v in enumerate(out) if v is None]
        return self._slow_column(values, odd, out)


class Amount(CellField):
    """A decimal number with at most `places` decimals (quantities, prices)."""

    number_format = "0.00"
    excel_type = "decimal"
    default_error_messages = {
        "bad_type": "Enter a number, such as 12.50.",
        "too_many_decimals": "Use at most {places} decimals.",
    }

    def __init__(self, header: str, *, places: int = 4, **kwargs: Any) -> None:
        super().__init__(header, **kwargs)
        self.places = places
        self.number_format = (
            "0" if places == 0 else "0." + "0" * min(places, 2) + "#" * max(places - 2, 0)
        )

    def convert(self, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail("bad_type")
        try:
            number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        except InvalidOperation:
            raise self.fail("bad_type") from None
        if not number.is_finite():
            raise self.fail("bad_type")
        if number.as_tuple().exponent < -self.places:  # type: ignore[operator]
            raise self.fail("too_many_decimals", places=self.places)
        return number

    def convert_column(self, values: list[Any]) -> tuple[list[Any], dict[int, str]]:
        places = self.places
        # A float whose shortest repr has at most `places` decimals is exactly the float
        # round() gives back; v - v is 0.0 only for finite floats (not inf or nan). Zero is
        # left to convert(): 0.0 and -0.0 are one dict key but two Decimals.
        numbers = {
            v: Decimal(repr(v))
            for v in distinct_floats(values)
            if v and round(v, places) == v and v - v == 0.0
        }
        out = list(map(numbers.get, values))
        odd = [i for i, v in enumerate(out) if v is None]
        return self._slow_column(values, odd, out)


class ExcelDate(CellField):
    """A calendar date: a date cell, or text written as YYYY-MM-DD."""

    number_format = "yyyy-mm-dd"
    excel_type = "date"
    default_error_messages = {
        "bad_date": "Enter a date as YYYY-MM-DD, or format the cell as a date.",
        "date_as_number": (
            "The cell holds a plain number, not a date; format the column as a date "
            "(Format Cells > Date) and enter the date again."
        ),
    }

    def convert(self, value: Any) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise self.fail("date_as_number")
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise self.fail("bad_date") from None
        raise self.fail("bad_date")

    def error_code(self, error: ValidationError) -> str:
        return getattr(error, "code", None) or "bad_date"

    def convert_column(self, values: list[Any]) -> tuple[list[Any], dict[int, str]]:
        kinds = set(map(type, values))
        if kinds == {date}:
            return list(values), {}
        if kinds <= {date, str}:
            out: list[Any] = [value if value.__class__ is date else None for value in values]
            odd = [i for i, value in enumerate(values) if value.__class__ is not date]
            return self._slow_column(values, odd, out)
        return super().convert_column(values)


class YesNo(CellField):
    """Yes or No (also TRUE/FALSE cells); a drop-down in the template."""

    excel_type = "list"
    choices = ("Yes", "No")
    _WORDS = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}
    default_error_messages = {"bad_type": "Enter Yes or No."}

    def convert(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().casefold() in self._WORDS:
            return self._WORDS[value.strip().casefold()]
        raise self.fail("bad_type")


def distinct_floats(values: list[Any]) -> list[float]:
    """The column's distinct float cells: a column of quantities holds a few hundred
    distinct numbers in 100,000 cells, so each is converted and checked once. A value equal
    to a float but of another type (1 == 1.0 == True) would share its dict key, so
    floats are picked out only when the column has no other numbers."""
    kinds = set(map(type, values))
    if kinds & {int, bool, Decimal}:
        return []
    return [v for v in set(values) if v.__class__ is float]


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def cell_value(field: CellField, value: Any) -> Any:
    """How one of our values is written into a cell of this column (exports)."""
    if isinstance(field, YesNo):
        return None if value is None else ("Yes" if value else "No")
    if isinstance(field, Amount) and value is not None:
        return float(value)
    return value
