"""Post an admin change form as the browser would: every field with the value it shows, plus changes."""

from __future__ import annotations

from typing import Any

from django.test import Client


def _value(bound: Any) -> Any:
    value = bound.value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return value


def _put(data: dict[str, Any], name: str, bound: Any) -> None:
    value = _value(bound)
    queryset = getattr(bound.field, "queryset", None)
    if isinstance(value, list) and queryset is not None:
        # A browser posts only what the select offers.
        offered = {str(pk) for pk in queryset.values_list("pk", flat=True)}
        value = [v for v in value if str(v) in offered]
    widgets = getattr(bound.field.widget, "widgets", None)
    if widgets and value != "":
        # A split widget (date and time) posts one value per part: name_0, name_1.
        for index, part in enumerate(bound.field.widget.decompress(value)):
            data[f"{name}_{index}"] = "" if part is None else str(part)
    elif value != "":
        data[name] = value


def form_data(client: Client, url: str, **changes: Any) -> dict[str, Any]:
    """The data a GET of `url` (an admin add/change page) would post back unchanged, with `changes` applied."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        if not field.disabled:
            _put(data, form.add_prefix(name), form[name])
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for sub in formset.initial_forms:
            for name in sub.fields:
                _put(data, sub.add_prefix(name), sub[name])
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}
