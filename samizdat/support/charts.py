"""Charts drawn on the server as SVG: no JavaScript library, no request elsewhere.

Colours come from classes and presentation attributes, never `style=`, so a
strict Content-Security-Policy allows them. Every chart has a <title> and a
<desc> that lists its values (the page also shows them as a table), and its
own ids, so several charts can share a page.
"""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 720, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 24, 40
# Two colours that differ in lightness too (legible in greyscale and to most colour-blind
# readers); a series also differs by its name in the legend and the tooltip.
COLOURS = ("#1d5fa8", "#d9822b")
AXIS = 'font-size="12" fill="#444"'


def nice_ceiling(value):
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for multiple in (1, 2, 2.5, 5, 10):
        if multiple * power >= value:
            return multiple * power
    return 10 * power


def _open(ident, title, description, height=HEIGHT):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        # As wide as its box (phones too), its height following the viewBox.
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{ident}-title {ident}-desc" data-chart="{ident}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]


def _grid(parts, top, value_label):
    """Horizontal grid lines at 0, ½ and the top of the scale, with their values."""
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    for fraction in (0, 0.5, 1):
        y = MARGIN_TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="chart__grid" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="chart__axis" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" {AXIS}>{escape(value_label(top * fraction))}</text>'
        )


def _x_labels(parts, labels, slot):
    """Category labels under the plot; every other one when they would collide."""
    step = 1 if len(labels) <= 14 else 2
    for index, label in enumerate(labels):
        if index % step:
            continue
        x = MARGIN_LEFT + index * slot + slot / 2
        parts.append(
            f'<text class="chart__label" x="{x:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
            f'text-anchor="middle" {AXIS}>{escape(label)}</text>'
        )


def _legend(parts, names):
    x = MARGIN_LEFT
    for index, name in enumerate(names):
        parts.append(
            f'<rect class="chart__key" x="{x}" y="4" width="12" height="12" '
            f'fill="{COLOURS[index % len(COLOURS)]}"/>'
        )
        parts.append(
            f'<text class="chart__legend" x="{x + 16}" y="14" {AXIS}>{escape(name)}</text>'
        )
        x += 24 + 8 * len(name)


def bar_chart_svg(points, title, value_label=str, ident="chart"):
    """An accessible bar chart of (label, value) pairs.

    `value_label` formats a value for the axis and the bar's tooltip.
    """
    points = list(points)
    return grouped_bar_chart_svg(
        [label for label, _value in points],
        [("", [value for _label, value in points])],
        title,
        value_label,
        ident,
    )


def grouped_bar_chart_svg(labels, series, title, value_label=str, ident="chart"):
    """Bars side by side per label, one per series: [(series name, [values])].

    A negative value (a month of more refunds than gifts) draws no bar; its
    tooltip, the description and the table say the amount.

    With one unnamed series it is a plain bar chart.
    """
    labels = list(labels)
    series = [(name, list(values)) for name, values in series]
    top = nice_ceiling(max((max(values, default=0) for _n, values in series), default=0))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar_w = slot * 0.7 / max(len(series), 1)
    description = "; ".join(
        f"{label}: "
        + ", ".join(
            f"{name + ' ' if name else ''}{value_label(values[index])}" for name, values in series
        )
        for index, label in enumerate(labels)
    )
    parts = _open(ident, title, description)
    _grid(parts, top, value_label)
    for number, (name, values) in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        for index, label in enumerate(labels):
            value = values[index]
            height = plot_h * max(value, 0) / top if top else 0
            x = MARGIN_LEFT + index * slot + slot * 0.15 + number * bar_w
            y = MARGIN_TOP + plot_h - height
            tip = f"{label}{' · ' + name if name else ''}: {value_label(value)}"
            parts.append(
                f'<rect class="chart__bar" data-series="{number}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar_w:.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{escape(tip)}</title></rect>"
            )
    _x_labels(parts, labels, slot)
    if any(name for name, _values in series):
        _legend(parts, [name for name, _values in series])
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # every interpolated text is escaped above


def line_chart_svg(points, title, value_label=str, ident="chart"):
    """A line through (label, value) points (below zero drawn at zero), each with a tooltip."""
    points = list(points)
    top = nice_ceiling(max((value for _label, value in points), default=0))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / max(len(points), 1)
    description = "; ".join(f"{label}: {value_label(value)}" for label, value in points)
    parts = _open(ident, title, description)
    _grid(parts, top, value_label)
    xy = [
        (
            MARGIN_LEFT + index * slot + slot / 2,
            MARGIN_TOP + plot_h - (plot_h * max(value, 0) / top if top else 0),
        )
        for index, (_label, value) in enumerate(points)
    ]
    if xy:
        parts.append(
            '<polyline class="chart__line" fill="none" stroke="#1d5fa8" '
            'stroke-width="2" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy) + '"/>'
        )
    for (label, value), (x, y) in zip(points, xy, strict=True):
        parts.append(
            f'<circle class="chart__point" cx="{x:.1f}" cy="{y:.1f}" r="4" '
            f'fill="#1d5fa8"><title>{escape(label)}: {escape(value_label(value))}'
            f"</title></circle>"
        )
    _x_labels(parts, [label for label, _value in points], slot)
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # every interpolated text is escaped above


def horizontal_bar_chart_svg(points, title, value_label=str, ident="chart"):
    """One bar per (label, value) row (none below zero), labels at the left."""
    points = list(points)
    row_h, label_w, right = 28, 220, 120
    height = max(len(points), 1) * row_h + 16
    top = max((value for _label, value in points), default=0)
    top = top if top > 0 else 1
    plot_w = WIDTH - label_w - right
    description = "; ".join(f"{label}: {value_label(value)}" for label, value in points)
    parts = _open(ident, title, description, height=height)
    for index, (label, value) in enumerate(points):
        y = 8 + index * row_h
        width = plot_w * max(value, 0) / top
        shown = label if len(label) <= 32 else label[:31] + "…"
        parts.append(
            f'<text class="chart__label" x="{label_w - 8}" y="{y + 16}" '
            f'text-anchor="end" {AXIS}>{escape(shown)}</text>'
        )
        parts.append(
            f'<rect class="chart__bar" x="{label_w}" y="{y + 4}" width="{width:.1f}" '
            f'height="{row_h - 10}" fill="#1d5fa8"><title>{escape(label)}: '
            f"{escape(value_label(value))}</title></rect>"
        )
        parts.append(
            f'<text class="chart__value" x="{label_w + width + 6:.1f}" y="{y + 16}" '
            f"{AXIS}>{escape(value_label(value))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # every interpolated text is escaped above
