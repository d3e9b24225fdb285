"""A small server-side SVG bar chart: consumption per reading period.

No JavaScript and no outside service. The SVG is built with ElementTree, so every text
and attribute is escaped by the serializer, and the result is well-formed XML. It carries
``role="img"`` with a ``<title>`` and a ``<desc>`` (referenced by ``aria-labelledby``);
each bar has its own ``<title>`` for a tooltip. The table next to the chart holds the same
numbers for screen-reader users.

Colours are SVG presentation attributes (not ``style``), which the CSP allows; iok.css
paints the bars in the tenant's brand colour over them. A series is told apart not by
colour alone: ``pattern="hatched"`` fills the bars with diagonal stripes and outlines them,
and the legend names the series next to a swatch of the same fill.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from markupsafe import Markup

SVG_NS = "http://www.w3.org/2000/svg"

# A narrower drawing than a desktop column: scaled to a phone (about 340 px), its 12-unit
# 14-unit text still reads at about 10 px.
WIDTH = 480
HEIGHT = 260
LEFT = 64       # room for the value axis labels
RIGHT = 32      # room for half of the last period label past its bar
TOP = 16
BOTTOM = 48     # room for the period labels
LEGEND = 22     # room above the plot for the legend
TICKS = 4
LABEL_WIDTH = 66  # horizontal room one period label needs ("12.2026" at 14 units)

AXIS_COLOUR = "#444444"
GRID_COLOUR = "#d0d0d0"
BAR_COLOUR = "#1f5f9f"
HATCHED_COLOUR = "#a3341f"   # hot water: stripes of this on white, outlined
TEXT_COLOUR = "#222222"


@dataclass(frozen=True)
class Bar:
    label: str       # under the bar, e.g. "03.2026"
    value: Decimal   # bar height in the chart's unit
    tooltip: str     # the bar's <title>


def _nice_ceiling(value: Decimal) -> Decimal:
    """A round upper bound for the value axis (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        bound = step.scaleb(exponent)
        if bound >= value:
            return bound
    return Decimal(10).scaleb(exponent)  # pragma: no cover - the loop always returns


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def label_indexes(count: int, room: int) -> list[int]:
    """Which of ``count`` period labels to draw when ``room`` of them fit side by side:
    every n-th one and always the last, never two closer than n slots (no overlap)."""
    if count == 0:
        return []
    every = -(-count // max(1, room))
    shown = [index for index in range(0, count, every) if count - 1 - index >= every]
    return shown + [count - 1]


def bar_chart(bars: list[Bar], *, chart_id: str, title: str, description: str,
              axis_label: str, format_value=str, legend: str | None = None,
              pattern: str = "solid") -> Markup:
    """An accessible SVG bar chart; ``format_value`` renders the axis tick values;
    ``legend`` names the series (drawn above the plot with a swatch of the bars' fill);
    ``pattern`` is "solid" or "hatched" (diagonal stripes: a second series told apart
    without colour)."""
    assert pattern in ("solid", "hatched")
    top = TOP + (LEGEND if legend else 0)
    svg = ET.Element("svg", {
        "xmlns": SVG_NS, "role": "img", "viewBox": f"0 0 {WIDTH} {HEIGHT + top - TOP}",
        "width": "100%", "class": f"iok-chart iok-chart-{pattern}", "id": chart_id,
        "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
        "font-family": "sans-serif", "font-size": "14",
    })
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = description
    fill = BAR_COLOUR
    if pattern == "hatched":
        fill = f"url(#{chart_id}-stripes)"
        defs = ET.SubElement(svg, "defs")
        stripes = ET.SubElement(defs, "pattern", {
            "id": f"{chart_id}-stripes", "width": "6", "height": "6",
            "patternUnits": "userSpaceOnUse", "patternTransform": "rotate(45)"})
        ET.SubElement(stripes, "path", {"class": "iok-chart-stripe", "d": "M0 0V6",
                                        "stroke": HATCHED_COLOUR, "stroke-width": "3"})

    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    base_y = top + plot_h
    if legend:
        key = ET.SubElement(svg, "g", {"class": "iok-chart-legend"})
        ET.SubElement(key, "path", {"class": "iok-chart-swatch", "fill": fill,
                                    "stroke": HATCHED_COLOUR if pattern == "hatched"
                                    else "none", "stroke-width": "1.5",
                                    "d": f"M{LEFT} 6h16v16h-16z"})
        ET.SubElement(key, "text", {"x": str(LEFT + 22), "y": "19",
                                    "fill": TEXT_COLOUR}).text = legend
    top_value = _nice_ceiling(max((bar.value for bar in bars), default=Decimal(0)))

    grid = ET.SubElement(svg, "g", {"class": "iok-chart-grid"})
    for tick in range(TICKS + 1):
        tick_value = (top_value * tick / TICKS).quantize(Decimal("0.001"),
                                                         rounding=ROUND_CEILING)
        y = base_y - plot_h * tick / TICKS
        if tick:
            ET.SubElement(grid, "line", {"x1": str(LEFT), "x2": str(WIDTH - RIGHT),
                                         "y1": _fmt(y), "y2": _fmt(y),
                                         "stroke": GRID_COLOUR, "stroke-width": "1"})
        label = ET.SubElement(grid, "text", {"x": str(LEFT - 6), "y": _fmt(y + 4),
                                             "text-anchor": "end", "fill": TEXT_COLOUR})
        label.text = format_value(tick_value)

    axes = ET.SubElement(svg, "g", {"class": "iok-chart-axes", "stroke": AXIS_COLOUR,
                                    "stroke-width": "1.5"})
    ET.SubElement(axes, "line", {"x1": str(LEFT), "x2": str(LEFT), "y1": str(top),
                                 "y2": str(base_y)})
    ET.SubElement(axes, "line", {"x1": str(LEFT), "x2": str(WIDTH - RIGHT),
                                 "y1": str(base_y), "y2": str(base_y)})
    unit = ET.SubElement(svg, "text", {"x": "4", "y": str(top - 4), "fill": TEXT_COLOUR})
    unit.text = axis_label

    series = ET.SubElement(svg, "g", {"class": "iok-chart-bars"})
    if bars:
        slot = plot_w / len(bars)
        bar_w = max(2.0, min(48.0, slot * 0.6))
        # Every label when they fit, otherwise every n-th one and the last.
        labelled = set(label_indexes(len(bars), plot_w // LABEL_WIDTH))
        outline = {"stroke": HATCHED_COLOUR, "stroke-width": "1.5"} \
            if pattern == "hatched" else {}
        for index, bar in enumerate(bars):
            height = float(bar.value / top_value) * plot_h if top_value else 0.0
            x = LEFT + slot * index + (slot - bar_w) / 2
            rect = ET.SubElement(series, "rect", {
                "class": "iok-chart-bar", "x": _fmt(x), "y": _fmt(base_y - height),
                "width": _fmt(bar_w), "height": _fmt(height), "fill": fill, **outline})
            ET.SubElement(rect, "title").text = bar.tooltip
            if index in labelled:
                text = ET.SubElement(svg, "text", {
                    "x": _fmt(LEFT + slot * index + slot / 2), "y": str(base_y + 18),
                    "text-anchor": "middle", "fill": TEXT_COLOUR})
                text.text = bar.label
    # Safe: ElementTree escaped every text and attribute value while serialising.
    return Markup(ET.tostring(svg, encoding="unicode"))  # noqa: S704
