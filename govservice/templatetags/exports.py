"""`{% export_button "kind" %}`: the button that asks for a background export of the list on the page."""

from __future__ import annotations

from typing import Any

from django import template

from govservice.exports import get

register = template.Library()

# Query parameters of a list page that are not filters.
_NOT_FILTERS = {"page"}


@register.inclusion_tag("govservice/_export_button.html", takes_context=True)
def export_button(context: dict[str, Any], kind: str, **fixed: Any) -> dict[str, Any]:
    """`fixed`: parameters the page has in its path, not its query (`month=month_text`); they win."""
    request = context["request"]
    spec = get(kind)
    user = request.user
    allowed = spec is not None and spec.allowed(user)
    return {
        "kind": kind,
        "allowed": allowed,
        "may_reveal": allowed and spec is not None and spec.may_reveal is not None and spec.may_reveal(user),
        "filters": [
            *((k, v) for k, v in request.GET.items() if k not in _NOT_FILTERS and k not in fixed and v),
            *((k, str(v)) for k, v in fixed.items() if v not in (None, "")),
        ],
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
