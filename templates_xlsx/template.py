"""Generate a kind's workbook from its declaration: the data sheet (typed, formatted columns,
drop-downs, codes as text, frozen header), the instructions, the lists behind the drop-downs,
and a very hidden marker sheet naming kind and version. Exports fill the same workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marshmallow import validate
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from core.formula_safety import set_cell
from templates_xlsx.fields import (
    Amount,
    CellField,
    Choice,
    ExcelDate,
    WholeNumber,
    YesNo,
    cell_value,
)
from templates_xlsx.kind import SheetKind

MARKER_SHEET = "_orderbridge"
MARKER_TAG = "orderbridge-template"
INSTRUCTIONS_SHEET = "Instructions"
LISTS_SHEET = "Lists"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def describe(field: CellField) -> str:
    """The rules of a column in words, read off the declaration."""
    parts = ["required" if field.required else "optional"]
    parts.append(_type_words(field))
    for rule in field.validators:
        if isinstance(rule, validate.Length) and rule.max is not None:
            parts.append(f"at most {rule.max} characters")
        elif isinstance(rule, validate.Range):
            if rule.min is not None:
                parts.append(("at least " if rule.min_inclusive else "more than ") + str(rule.min))
            if rule.max is not None:
                parts.append(("at most " if rule.max_inclusive else "less than ") + str(rule.max))
        elif isinstance(rule, validate.OneOf) and len(rule.choices) <= 12:
            parts.append("one of " + ", ".join(map(str, rule.choices)))
    return "; ".join(parts)


def _type_words(field: CellField) -> str:
    if isinstance(field, ExcelDate):
        return "a date (YYYY-MM-DD)"
    if isinstance(field, WholeNumber):
        return "a whole number"
    if isinstance(field, Amount):
        return f"a number with at most {field.places} decimals"
    if isinstance(field, YesNo):
        return "Yes or No"
    if isinstance(field, Choice):
        return "pick from the list"
    return "text"


def build_workbook(
    kind: SheetKind, rows: list[dict[str, Any]] | None = None, marker: dict | None = None
) -> Workbook:
    workbook = Workbook()
    data = workbook.active
    data.title = kind.name
    _header(data, kind)
    lists = workbook.create_sheet(LISTS_SHEET)
    _validations(data, lists, kind)
    for number, row in enumerate(rows or [], start=2):
        _fill_row(data, kind, number, row)
    _instructions(workbook.create_sheet(INSTRUCTIONS_SHEET, 1), kind)
    lists.sheet_state = "hidden"
    _marker(workbook.create_sheet(MARKER_SHEET), kind, marker or {})
    workbook.active = 0
    return workbook


def save_template(kind: SheetKind, path: Path, **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(kind, **kwargs).save(path)
    return path


def _header(sheet: Any, kind: SheetKind) -> None:
    for number, (_name, field) in enumerate(kind.fields, start=1):
        cell = sheet.cell(row=1, column=number, value=field.header)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if field.required else HEADER_FILL
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = field.metadata["width"]
        sheet.column_dimensions[letter].number_format = field.number_format
    sheet.freeze_panes = "A2"


def _fill_row(sheet: Any, kind: SheetKind, number: int, row: dict[str, Any]) -> None:
    for column, (name, field) in enumerate(kind.fields, start=1):
        value = cell_value(field, row.get(name))
        if value is None:
            continue
        cell = sheet.cell(row=number, column=column)
        set_cell(cell, value)
        cell.number_format = field.number_format


def _validations(sheet: Any, lists: Any, kind: SheetKind) -> None:
    last = 1_048_576
    list_column = 0
    for number, (_name, field) in enumerate(kind.fields, start=1):
        letter = get_column_letter(number)
        target = f"{letter}2:{letter}{last}"
        rule = None
        if isinstance(field, (Choice, YesNo)):
            list_column += 1
            source = _write_list(lists, list_column, field)
            rule = DataValidation(type="list", formula1=source, allow_blank=True)
        elif isinstance(field, ExcelDate):
            rule = DataValidation(
                type="date", operator="between", formula1="367", formula2="2958465"
            )
        elif isinstance(field, (WholeNumber, Amount)):
            rule = DataValidation(
                type="whole" if isinstance(field, WholeNumber) else "decimal",
                operator="greaterThanOrEqual",
                formula1="0",
            )
        if rule is None:
            continue
        rule.error = describe(field)
        rule.errorTitle = field.header
        rule.showErrorMessage = True
        rule.allow_blank = True
        sheet.add_data_validation(rule)
        rule.add(target)


def _write_list(lists: Any, column: int, field: CellField) -> str:
    choices = field.choices  # type: ignore[attr-defined]
    letter = get_column_letter(column)
    lists.cell(row=1, column=column, value=field.header).font = Font(bold=True)
    for number, choice in enumerate(choices, start=2):
        lists.cell(row=number, column=column, value=choice).number_format = "@"
    return f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(choices) + 1}"


def _instructions(sheet: Any, kind: SheetKind) -> None:
    lines: list[tuple[str, str, str]] = [
        (kind.title, "", ""),
        (kind.purpose, "", ""),
        ("", "", ""),
        (
            f"Fill in the sheet '{kind.name}', one row per record, from row 2. Keep the header "
            "row, the column order and the sheet names. Leave a cell blank to keep the current "
            "value. Upload the whole workbook; if any row is wrong nothing is applied and you get "
            "the workbook back with every problem marked.",
            "",
            "",
        ),
        ("", "", ""),
        ("Column", "Rules", "What it means"),
    ]
    lines += [(f.header, describe(f), f.metadata["help"]) for _, f in kind.fields]
    lines += [("", "", ""), (f"Template {kind.name}, version {kind.version}.", "", "")]
    for row in lines:
        sheet.append(row)
    for cell in sheet[6]:
        cell.font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 70
    for row in sheet.iter_rows(min_row=6):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _marker(sheet: Any, kind: SheetKind, extras: dict[str, Any]) -> None:
    sheet.append([MARKER_TAG, kind.name, kind.version])
    for key in kind.marker_extras:
        sheet.append([key, str(extras.get(key, ""))])
    sheet.sheet_state = "veryHidden"
    sheet.protection.sheet = True
