"""`{% metric "complaints_open" %}`: a figure from the registry (govservice.metrics) as a tile.

The element carries `data-metric` and `data-value` (and `data-rows` for a rate: the rows behind it),
links to the list of exactly those rows and says its period next to the number.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from govservice import metrics as registry

register = template.Library()


def _shown(value: float | int | None, unit: str) -> str:
    return "—" if value is None else f"{value}{unit}"


@register.simple_tag(takes_context=True)
def metric(context: template.Context, name: str, css: str = "", label: str = "", warn_if_any: str = "") -> SafeString:
    """A tile: the number, what it counts and its period; the whole tile links to the rows."""
    user = context["request"].user
    figure = registry.get(name)
    value = figure.value(user)
    level = warn_if_any if (warn_if_any and value) else ""
    rows = figure.count_rows(user) if figure.compute is not None else value
    return format_html(
        '<a class="stat {} {}" href="{}" data-metric="{}" data-value="{}" data-rows="{}">'
        '<span class="value">{}</span><span class="label">{}</span>'
        '<span class="period muted" data-period="{}">{}</span></a>',
        css,
        level,
        figure.url,
        figure.name,
        "" if value is None else value,
        rows,
        _shown(value, figure.unit),
        label or figure.label,
        figure.period,
        figure.period_label,
    )


@register.simple_tag(takes_context=True)
def metric_number(context: template.Context, name: str) -> SafeString:
    """The number alone (in a table cell), linked to its rows, with data-metric/data-value."""
    user = context["request"].user
    figure = registry.get(name)
    value = figure.value(user)
    rows = figure.count_rows(user) if figure.compute is not None else value
    return format_html(
        '<a href="{}" data-metric="{}" data-value="{}" data-rows="{}">{}</a>',
        figure.url,
        figure.name,
        "" if value is None else value,
        rows,
        _shown(value, figure.unit),
    )


@register.simple_tag
def metric_period(name: str) -> str:
    return registry.get(name).period_label


@register.inclusion_tag("govservice/_metric_list_note.html")
def metric_list_note(figure: Any, count: int) -> dict[str, Any]:
    """Above a list opened from a figure: which figure, its period, and how many rows (`data-list-count`)."""
    return {"figure": figure, "count": count, "clear": _("显示全部")}
