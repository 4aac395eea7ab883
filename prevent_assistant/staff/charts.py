"""Small, accessible bar charts drawn as SVG on the server, for the console's stats page.

No chart library and no script: the console's Content-Security-Policy allows only its own files, and a
chart that needs JavaScript shows nothing to a screen reader. Each chart is an `<svg role="img">` named by
its own `<title>` and `<desc>`, every bar has a text label and its figure written beside it, and each bar
holds a `<title>` with its label and figure (a tooltip, and what a screen reader reads if it enters the
image). The page puts the same figures in a table beside each chart. Built with ElementTree, so every
label (a topic's wording, which staff edit) is escaped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
FONT_SIZE = "13"
BAR_COLOUR = "#1d3557"  # 12.6:1 on white: the console's own dark blue
AXIS_COLOUR = "#505a5f"
TEXT_COLOUR = "#0b0c0c"
# Beyond this many columns their figures would overlap: only the bars' own titles and the table hold them.
MAX_COLUMN_FIGURES = 31
MAX_COLUMN_LABELS = 12


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (for the length) and how its figure is written (3, or 42.5%)."""

    label: str
    value: float
    figure: str


def column_chart(
    chart_id: str, title: str, description: str, bars: Sequence[Bar], short_labels: Sequence[str]
) -> str:
    """Vertical bars in order (days): `short_labels` under the axis (thinned to about a dozen), each bar's
    figure above it when there are few enough to read."""
    height, top, bottom, left = 240, 24, 48, 8
    plot = height - top - bottom
    svg = _svg(chart_id, title, description, WIDTH, height)
    biggest = max((bar.value for bar in bars), default=0) or 1
    slot = (WIDTH - 2 * left) / max(len(bars), 1)
    step = max(1, -(-len(bars) // MAX_COLUMN_LABELS))
    for index, bar in enumerate(bars):
        x = left + index * slot
        length = plot * bar.value / biggest
        rect = _rect(
            svg, x + slot * 0.15, top + plot - length, slot * 0.7, length, f"{bar.label}: {bar.figure}"
        )
        rect.set("data-value", _number(bar.value))
        middle = x + slot / 2
        if len(bars) <= MAX_COLUMN_FIGURES:
            _text(svg, middle, top + plot - length - 6, bar.figure, "middle")
        if index % step == 0:
            _text(svg, middle, top + plot + 18, short_labels[index], "middle")
    _line(svg, left, top + plot, WIDTH - left, top + plot)
    return ET.tostring(svg, encoding="unicode")


def bar_chart(
    chart_id: str, title: str, description: str, bars: Sequence[Bar], scale: float | None = None
) -> str:
    """Horizontal bars, one a row, each with its label above it and its figure after it. `scale` is the
    value of a full-width bar (1.0 for rates); by default the largest value."""
    row, top, left = 44, 8, 8
    height = top * 2 + row * max(len(bars), 1)
    svg = _svg(chart_id, title, description, WIDTH, height)
    full = scale or max((bar.value for bar in bars), default=0) or 1
    room = WIDTH - 2 * left - 90  # space for the figure after the longest bar
    for index, bar in enumerate(bars):
        y = top + index * row
        _text(svg, left, y + 14, bar.label, "start")
        length = room * min(bar.value / full, 1.0)
        rect = _rect(svg, left, y + 20, length, 16, f"{bar.label}: {bar.figure}")
        rect.set("data-value", _number(bar.value))
        _text(svg, left + length + 6, y + 33, bar.figure, "start")
    _line(svg, left, top, left, height - top)
    return ET.tostring(svg, encoding="unicode")


# --- Helpers -----------------------------------------------------------------------------------------
def _svg(chart_id: str, title: str, description: str, width: int, height: int) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "id": chart_id,
            "class": "chart",
            "role": "img",
            "viewBox": f"0 0 {width} {height}",
            "width": "100%",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "font-size": FONT_SIZE,
            "font-family": "system-ui, sans-serif",
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = description
    return svg


def _rect(svg: ET.Element, x: float, y: float, width: float, height: float, label: str) -> ET.Element:
    rect = ET.SubElement(
        svg,
        "rect",
        {
            "class": "chart__bar",
            "x": _number(x),
            "y": _number(y),
            "width": _number(width),
            "height": _number(height),
            "fill": BAR_COLOUR,
        },
    )
    ET.SubElement(rect, "title").text = label
    return rect


def _text(svg: ET.Element, x: float, y: float, words: str, anchor: str) -> None:
    attributes = {"x": _number(x), "y": _number(y), "text-anchor": anchor, "fill": TEXT_COLOUR}
    ET.SubElement(svg, "text", attributes).text = words


def _line(svg: ET.Element, x1: float, y1: float, x2: float, y2: float) -> None:
    ends = {"x1": _number(x1), "y1": _number(y1), "x2": _number(x2), "y2": _number(y2)}
    ET.SubElement(svg, "line", {**ends, "stroke": AXIS_COLOUR, "stroke-width": "1"})


def _number(value: float) -> str:
    """Coordinates to two decimals, without trailing zeros: small, stable markup."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
