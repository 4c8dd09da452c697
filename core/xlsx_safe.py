"""Text from outside stays text in every workbook we write, never a formula.

Excel, LibreOffice and Sheets treat a cell starting with =, +, -, @, a tab or a carriage
return as a formula (OWASP "CSV injection"). In an .xlsx cell such text is stored as a string
with Excel's quote-prefix flag (`write_text`): the value is unchanged, and it stays text even
when someone edits the cell. For plain text outputs `safe_text` puts a quote in front.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_text(value: Any) -> Any:
    """For plain text (CSV): formula-looking text gets a leading quote; the rest unchanged."""
    return "'" + value if looks_like_formula(value) else value


def write_text(cell: Any, value: Any) -> None:
    """Write text into an openpyxl cell as text, whatever it starts with; None stays empty."""
    cell.value = None if value is None else str(value)
    if cell.value is not None:
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        cell.number_format = "@"
        if looks_like_formula(cell.value):
            cell.quotePrefix = True
