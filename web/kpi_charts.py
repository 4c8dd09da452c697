"""The dashboard's charts, drawn server-side as SVG documents with pygal: no script in them
(pygal's tooltips are switched off), every value printed on the chart and named in a legend,
so no reading depends on colour alone; each page also shows the numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from lxml import etree
from pygal.style import Style

# Outcome colours chosen to differ in lightness too, for readers who do not tell hues apart.
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#000",
    foreground_subtle="#666",
    colors=("#1b5e20", "#b71c1c", "#f9a825", "#0d47a1", "#6a1b9a", "#9e9e9e"),
    font_family="sans-serif",
    value_font_size=11,
    legend_font_size=12,
    label_font_size=11,
)
COMMON = {"style": STYLE, "js": [], "explicit_size": True, "print_values": True}


def _svg(chart) -> bytes:
    """The chart without pygal's inline configuration script (its tooltips are off)."""
    root = etree.fromstring(chart.render())
    for script in list(root.iter("{http://www.w3.org/2000/svg}script")):
        script.getparent().remove(script)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def trend(title: str, weeks: Sequence[str], values: Sequence[float | None]) -> bytes:
    """A KPI's weekly line, as percentages; a week with nothing to count is a gap."""
    chart = pygal.Line(
        width=360,
        height=200,
        title=title,
        show_legend=False,
        range=(0, 1),
        value_formatter=lambda v: f"{v:.0%}",
        allow_interruptions=True,
        dots_size=4,
        **COMMON,
    )
    chart.x_labels = list(weeks)
    chart.add(title, list(values))
    return _svg(chart)


def stacked(
    title: str, labels: Sequence[str], series: dict[str, Sequence[int]], horizontal=False
) -> bytes:
    """Counts per label, stacked by series (an age bucket, an outcome), with a legend."""
    kind = pygal.HorizontalStackedBar if horizontal else pygal.StackedBar
    height = max(220, 40 + 28 * len(labels)) if horizontal else 300
    chart = kind(
        width=720,
        height=height,
        title=title,
        legend_at_bottom=True,
        print_zeroes=False,
        value_formatter=lambda v: f"{v:,.0f}",
        **COMMON,
    )
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, [value or None for value in values])
    return _svg(chart)
