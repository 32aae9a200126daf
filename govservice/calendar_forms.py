"""The year form: the notice's number, holiday ranges and make-up working days, with every error
shown next to the field it is about (govservice.calendar_year holds the rules)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .calendar_year import (
    HolidayRange,
    MakeupDay,
    YearPlan,
    makeup_error,
    overlap_error,
    range_error,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class YearSourceForm(forms.Form):
    source = forms.CharField(
        label=gettext_lazy("依据"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("如国务院办公厅放假安排通知的文号"),
    )


class HolidayRangeForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("节日"), max_length=50)
    first = forms.DateField(label=gettext_lazy("放假开始"), widget=DATE_INPUT)
    last = forms.DateField(label=gettext_lazy("放假结束"), widget=DATE_INPUT)

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.year = year

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem = range_error(self.year, data.get("first"), data.get("last"))
        if problem:
            self.add_error(problem[0], problem[1])
        return data


class MakeupDayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("调休上班日"), widget=DATE_INPUT)
    name = forms.CharField(label=gettext_lazy("说明"), max_length=50, required=False)

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.year = year


def _kept(form: forms.Form) -> bool:
    """A row that was filled in and not ticked for deletion (an untouched extra row is skipped)."""
    data = getattr(form, "cleaned_data", None) or {}
    return form.has_changed() and not data.get("DELETE")


class HolidayRangeFormSetBase(forms.BaseFormSet):
    def clean(self) -> None:
        """Ranges may not overlap: the later one says which earlier range it runs into."""
        seen: list[HolidayRange] = []
        for form in self.forms:
            if not _kept(form):
                continue
            data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
            if not all(data.get(key) for key in ("name", "first", "last")):
                continue
            current = HolidayRange(data["name"].strip(), data["first"], data["last"])
            for earlier in seen:
                if current.first <= earlier.last and earlier.first <= current.last:
                    form.add_error("first", overlap_error(earlier))
                    break
            else:
                seen.append(current)

    def ranges(self) -> list[HolidayRange]:
        return [
            HolidayRange(f.cleaned_data["name"].strip(), f.cleaned_data["first"], f.cleaned_data["last"])
            for f in self.forms
            if _kept(f) and f.cleaned_data
        ]


class MakeupDayFormSetBase(forms.BaseFormSet):
    def check_against(self, year: int, holidays: list[HolidayRange]) -> None:
        """Inside the year, once each, and never on a day off of the holiday ranges."""
        seen: set = set()
        for form in self.forms:
            if not _kept(form) or not form.cleaned_data.get("date"):
                continue
            day = form.cleaned_data["date"]
            message = makeup_error(year, day, holidays)
            if message is None and day in seen:
                message = _("同一天不能重复录入。")
            if message:
                form.add_error("date", message)
            seen.add(day)

    def days(self) -> list[MakeupDay]:
        return [
            MakeupDay(f.cleaned_data["date"], (f.cleaned_data.get("name") or "").strip() or _("调休上班"))
            for f in self.forms
            if _kept(f) and f.cleaned_data
        ]


HolidayRangeFormSet = forms.formset_factory(
    HolidayRangeForm, formset=HolidayRangeFormSetBase, extra=3, can_delete=True, max_num=40, validate_max=True
)
MakeupDayFormSet = forms.formset_factory(
    MakeupDayForm, formset=MakeupDayFormSetBase, extra=3, can_delete=True, max_num=40, validate_max=True
)


class YearForms:
    """The three parts of the year form, bound or unbound, validated together."""

    def __init__(self, year: int, data: Any = None, plan: YearPlan | None = None) -> None:
        self.year = year
        # Initial rows only on an unbound form: a bound row is compared with its initial value to
        # tell a filled row from an untouched extra one, and a loaded row sent back as it was is filled.
        shown = plan if data is None else None
        holidays = [{"name": h.name, "first": h.first, "last": h.last} for h in shown.holidays] if shown else []
        makeups = [{"date": m.day, "name": m.name} for m in shown.makeup_days] if shown else []
        self.source = YearSourceForm(data, initial={"source": plan.source if plan else ""})
        self.holidays = cast(
            HolidayRangeFormSetBase,
            HolidayRangeFormSet(data, prefix="holidays", initial=holidays, form_kwargs={"year": year}),
        )
        self.makeups = cast(
            MakeupDayFormSetBase,
            MakeupDayFormSet(data, prefix="makeups", initial=makeups, form_kwargs={"year": year}),
        )

    def is_valid(self) -> bool:
        valid = self.source.is_valid() & self.holidays.is_valid() & self.makeups.is_valid()
        if self.holidays.is_valid():
            self.makeups.check_against(self.year, self.holidays.ranges())
        return valid and self.makeups.is_valid()

    def plan(self) -> YearPlan:
        return YearPlan(
            year=self.year,
            holidays=sorted(self.holidays.ranges(), key=lambda h: h.first),
            makeup_days=sorted(self.makeups.days(), key=lambda m: m.day),
            source=self.source.cleaned_data.get("source", ""),
        )
