"""Keep text that looks like a formula as text in every workbook and file we write.

A spreadsheet treats a cell starting with =, +, -, @, a tab or a carriage return as a
formula (OWASP "CSV injection"). In an .xlsx cell we store such text as a string with
Excel's quote-prefix flag, so the value is unchanged (an export uploaded back reads the same
text) yet Excel keeps it text even when the cell is edited; in CSV and other plain text we
prefix a quote. Shared by templates_xlsx (exports, results workbooks) and reports.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """For plain-text outputs (CSV): formula-looking text gets a leading quote."""
    return "'" + value if looks_like_formula(value) else value


def set_cell(cell: Any, value: Any) -> None:
    """Write a value into an openpyxl cell; formula-looking text stays text, unchanged."""
    cell.value = value
    if looks_like_formula(value):
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        cell.quotePrefix = True


def write_text(cell: Any, value: Any) -> None:
    """Write a code or name from outside as text (number format @), whatever it starts with;
    None stays empty. For columns that are text by meaning: codes, numbers, names."""
    text = None if value is None else str(value)
    set_cell(cell, text)
    if text is not None:
        cell.data_type = "s"
        cell.number_format = "@"
