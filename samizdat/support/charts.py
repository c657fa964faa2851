"""Charts drawn on the server as SVG: no JavaScript library, no request elsewhere.

Colours come from classes and presentation attributes, never `style=`, so a
strict Content-Security-Policy allows them.
"""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 720, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 24, 40


def nice_ceiling(value):
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for multiple in (1, 2, 2.5, 5, 10):
        if multiple * power >= value:
            return multiple * power
    return 10 * power


def bar_chart_svg(points, title, value_label=str):
    """An accessible bar chart of (label, value) pairs, values >= 0.

    `value_label` formats a value for the axis and the bar's tooltip. The SVG
    carries a <title> and a <desc> listing every value, for screen readers.
    """
    points = list(points)
    top = nice_ceiling(max((value for _label, value in points), default=0))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / max(len(points), 1)
    bar_w = slot * 0.7
    description = "; ".join(f"{label}: {value_label(value)}" for label, value in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    # Horizontal grid lines at 0, ½ and the top, with their values.
    for fraction in (0, 0.5, 1):
        y = MARGIN_TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="chart__grid" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="chart__axis" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" font-size="12" fill="#444">'
            f"{escape(value_label(top * fraction))}</text>"
        )
    for index, (label, value) in enumerate(points):
        height = plot_h * value / top if top else 0
        x = MARGIN_LEFT + index * slot + (slot - bar_w) / 2
        y = MARGIN_TOP + plot_h - height
        parts.append(
            f'<rect class="chart__bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
            f'height="{height:.1f}" fill="#1d5fa8"><title>{escape(label)}: '
            f"{escape(value_label(value))}</title></rect>"
        )
        parts.append(
            f'<text class="chart__label" x="{x + bar_w / 2:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
            f'text-anchor="middle" font-size="12" fill="#444">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # every interpolated text is escaped above
