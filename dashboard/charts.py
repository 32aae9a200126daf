"""The dashboard's charts as server-made SVG (no script: CSP), every number a link to its rows."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def bar_chart(
    items: list[tuple[str, float, str, str]], *, css: str = "bar", maximum: float | None = None
) -> SafeString:
    """Horizontal bars: (label, value, shown text, url). Numbers are links to the list behind them."""
    height = 34 * max(len(items), 1) + 10
    top = maximum or max((value for _l, value, _t, _u in items), default=0) or 1
    rows = []
    for i, (label, value, text, url) in enumerate(items):
        y = 10 + i * 34
        width = round(330 * value / top)
        number = (
            format_html(
                '<a href="{}"><text x="{}" y="{}" class="chart-number">{}</text></a>',
                url,
                200 + width + 8,
                y + 18,
                text,
            )
            if url
            else format_html('<text x="{}" y="{}" class="chart-number">{}</text>', 200 + width + 8, y + 18, text)
        )
        rows.append(
            format_html(
                '<text x="0" y="{}" class="chart-label">{}</text><rect x="200" y="{}" width="{}" height="22" class="{}"></rect>{}',
                y + 16,
                label,
                y,
                width,
                css,
                number,
            )
        )
    return format_html(
        '<svg viewBox="0 0 680 {}" role="img" class="chart-svg">{}</svg>',
        height,
        format_html_join("", "{}", ((r,) for r in rows)),
    )


def column_chart(
    groups: list[tuple[str, list[tuple[float, str, str, str]]]], *, maximum: float | None = None
) -> SafeString:
    """Vertical bars per group: (group label, [(value, shown text, url, css class)])."""
    series = max((len(bars) for _g, bars in groups), default=1) or 1
    top = maximum or max((v for _g, bars in groups for v, *_ in bars), default=0) or 1
    group_width = 660 / max(len(groups), 1)
    bar_width = min(40, (group_width - 10) / series)
    parts = []
    for gi, (label, bars) in enumerate(groups):
        x0 = 20 + gi * group_width
        for bi, (value, text, url, css) in enumerate(bars):
            h = round(180 * value / top)
            x = x0 + bi * bar_width
            rect = format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="{}"></rect>',
                round(x),
                200 - h,
                round(bar_width - 4),
                h,
                css,
            )
            number = format_html(
                '<text x="{}" y="{}" class="chart-number chart-small">{}</text>', round(x), 195 - h, text
            )
            parts.append(format_html('<a href="{}">{}{}</a>', url, rect, number) if url else rect + number)
        parts.append(format_html('<text x="{}" y="220" class="chart-label chart-small">{}</text>', round(x0), label))
    return format_html(
        '<svg viewBox="0 0 700 230" role="img" class="chart-svg">{}</svg>',
        format_html_join("", "{}", ((p,) for p in parts)),
    )
