"""A digest as text and as HTML. The HTML carries its charts as tables with inline bars, not
images: many mail clients show no SVG (Gmail, Outlook) and a PNG needs a rasteriser we do not
ship, while a table with a bar beside each number reads in every client, in a screen reader
and in copy-paste, and the number is always printed beside its bar."""

from __future__ import annotations

from html import escape

from reports.digest import Digest, Table

BAR_PX = 240
BAR = (
    '<span style="display:inline-block;height:10px;width:{px}px;background:#0d47a1;'
    'margin-left:6px" aria-hidden="true"></span>'
)
CELL = 'style="padding:2px 10px 2px 0;text-align:left;vertical-align:top"'
NOTHING = "none"


def _text_table(table: Table) -> list[str]:
    lines = [table.title, "-" * len(table.title)]
    if not table.rows:
        return [*lines, NOTHING, ""]
    cells = [tuple(map(str, table.columns)), *(tuple(map(str, row)) for row in table.rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.columns))]
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return [*lines, *([table.note] if table.note else []), ""]


def as_text(digest: Digest) -> str:
    lines = [digest.subject, ""]
    for table in digest.tables:
        lines += _text_table(table)
    return "\n".join(lines)


def _cell(value: object, tag: str = "td") -> str:
    return f"<{tag} {CELL}>{escape(str(value))}</{tag}>"


def _bar(table: Table, row: tuple) -> str:
    value = int(row[table.bar])
    top = max((int(r[table.bar]) for r in table.rows), default=0)
    px = round(BAR_PX * value / top) if top else 0
    return f"<td {CELL}>{value}{BAR.format(px=px)}</td>"


def _html_table(table: Table) -> str:
    head = "".join(_cell(c, "th") for c in table.columns)
    parts = [f'<h2 style="font-size:16px">{escape(table.title)}</h2>']
    if not table.rows:
        return parts[0] + f"<p>{NOTHING}</p>"
    body = []
    for row in table.rows:
        cells = [_bar(table, row) if i == table.bar else _cell(v) for i, v in enumerate(row)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    if table.note:
        parts.append(f"<p>{escape(table.note)}</p>")
    return "".join(parts)


def as_html(digest: Digest) -> str:
    tables = "".join(_html_table(table) for table in digest.tables)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{escape(digest.subject)}</title></head>"
        '<body style="font-family:sans-serif;color:#222">'
        f'<h1 style="font-size:20px">{escape(digest.subject)}</h1>{tables}</body></html>'
    )
