"""Forms of the people pages: an absence, and the bulk hand-over of a person's open work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User


class AbsenceForm(forms.Form):
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("缺勤事由"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        # The database's absence_ends_on_or_after_start, said first in words next to the field.
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("结束日期不能早于开始日期。"))
        return data


class ReassignWorkForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("转交给"), queryset=User.objects.none(), empty_label=_("— 请选择接手人 —"))
    reason = forms.CharField(label=_("转交理由"), max_length=300)
    items = forms.MultipleChoiceField(label=_("工作事项"), choices=(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, person: User, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        receivers = User.objects.filter(centre=person.centre, is_active=True).exclude(id=person.id)
        field = self.fields["to_user"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared as one above
        field.queryset = receivers.order_by("username")
        items = self.fields["items"]
        assert isinstance(items, forms.MultipleChoiceField)  # noqa: S101 - declared as one above
        items.choices = choices

    def clean_items(self) -> list[tuple[str, int]]:
        chosen = []
        for value in self.cleaned_data["items"]:
            kind, _sep, item_id = value.partition(":")
            chosen.append((kind, int(item_id)))
        return chosen
