"""Choices of departments and windows name their centre: two centres have a 市场监管局 each."""

from __future__ import annotations

from typing import Any

from django import forms


def label_with_centre(obj: Any) -> str:
    """ "市场监管局（高新区政务服务中心）": the record's own name with its centre's (when it has one).
    Select the centre with the queryset (select_related("centre")) or each label costs a query."""
    centre = getattr(obj, "centre", None)
    return f"{obj}（{centre.name}）" if centre is not None else str(obj)


class WithCentreChoiceField(forms.ModelChoiceField):
    """A department or window chosen among several centres' (city-wide users, the admin)."""

    def label_from_instance(self, obj: Any) -> str:
        return label_with_centre(obj)
