"""Forms for the staff-development screens. Validation of rules stays in the services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from govservice.categories import ProblemCategory
from staff.models import User
from staff.selectors import no_staff

from .models import DutyKind, Indicator, MentorPairing


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):  # declared as one on the form class
        raise TypeError(name)
    return field


def _model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):  # declared as one on the form class
        raise TypeError(name)
    return field


class AppealForm(forms.Form):
    """The appeal names the indicator appealed: a leader upholds an appeal by correcting one indicator's
    value, so an appeal "on the whole" could never be upheld and is not offered (issue 16)."""

    month = forms.CharField(widget=forms.HiddenInput)
    indicator_code = forms.ChoiceField(
        label=_("申诉所涉指标"),
        help_text=_("中心领导通过更正某一指标的数值来支持申诉，请选择有误的指标。"),
    )
    reason = forms.CharField(label=_("申诉理由"), widget=forms.Textarea, max_length=2000)

    def __init__(self, *args: Any, indicators: Iterable[Indicator] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "indicator_code").choices = [("", _("请选择指标"))] + [
            (i.code, f"{i.dimension.name} · {i.name}") for i in indicators
        ]


class AppealDecisionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("处理结果"),
        choices=[("1", _("申诉成立")), ("0", _("驳回"))],
        coerce=lambda v: v == "1",
    )
    corrected_value = forms.DecimalField(
        label=_("更正后的指标值"), required=False, max_digits=12, decimal_places=4, help_text=_("申诉成立时必填")
    )
    decision = forms.CharField(label=_("处理意见"), widget=forms.Textarea, max_length=2000)


class FollowUpCompleteForm(forms.Form):
    outcome = forms.CharField(label=_("结果记录"), widget=forms.Textarea, max_length=2000)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name} ({obj.window or obj.username})"


class SpotCheckForm(forms.Form):
    staff = StaffChoiceField(label=_("被抽查人员"), queryset=no_staff())
    checked_at = forms.DateTimeField(label=_("抽查时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    response_seconds = forms.IntegerField(label=_("咨询响应(秒)"), required=False, min_value=0)
    etiquette_score = forms.DecimalField(
        label=_("礼仪规范(0–10)"), required=False, min_value=0, max_value=10, decimal_places=1
    )
    notification_correct = forms.NullBooleanField(
        label=_("一次性告知准确"),
        required=False,
        widget=forms.Select(choices=[("unknown", _("未检查")), ("true", _("准确")), ("false", _("不准确"))]),
    )
    discipline_violations = forms.IntegerField(label=_("违纪次数"), min_value=0, initial=0)
    note = forms.CharField(label=_("记录"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, staff_queryset: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = staff_queryset if staff_queryset is not None else no_staff()
        _model_choice_field(self, "staff").queryset = queryset


class ManualEntryForm(forms.Form):
    staff = StaffChoiceField(label=_("人员"), queryset=no_staff())
    month = forms.DateField(label=_("月份"), widget=forms.DateInput(attrs={"type": "date"}), help_text=_("该月任一天"))
    indicator_code = forms.ChoiceField(label=_("指标"))
    value = forms.DecimalField(label=_("数值"), max_digits=8, decimal_places=2)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea, max_length=2000)

    def __init__(
        self,
        *args: Any,
        staff_queryset: QuerySet[User] | None = None,
        indicators: Iterable[Indicator] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        queryset = staff_queryset if staff_queryset is not None else no_staff()
        _model_choice_field(self, "staff").queryset = queryset
        _choice_field(self, "indicator_code").choices = [(i.code, i.name) for i in indicators]


class MentorPairForm(forms.Form):
    mentor = StaffChoiceField(label=_("导师"), queryset=no_staff())
    mentee = StaffChoiceField(label=_("学员"), queryset=no_staff())
    reason = forms.ChoiceField(label=_("结对原因"), choices=MentorPairing.Reason.choices)
    started_on = forms.DateField(label=_("结对日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self,
        *args: Any,
        staff_queryset: QuerySet[User] | None = None,
        mentor_queryset: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        queryset = staff_queryset if staff_queryset is not None else no_staff()
        # Only those who may mentor today (mentor_picker.mentor_candidates); the page says why others are missing.
        mentor = _model_choice_field(self, "mentor")
        mentor.queryset = mentor_queryset if mentor_queryset is not None else queryset
        if mentor_queryset is not None:
            mentor.help_text = _("只列出符合导师条件的人员：窗口工作满 5 年、最近一次年度考核优秀、带教未满 2 人。")
        _model_choice_field(self, "mentee").queryset = queryset


class MentorDutyForm(forms.Form):
    kind = forms.ChoiceField(label=_("职责"), choices=DutyKind.choices)
    done_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("记录"), required=False, widget=forms.Textarea)


class IndependentForm(forms.Form):
    independent_on = forms.DateField(label=_("独立上岗日期"), widget=forms.DateInput(attrs={"type": "date"}))


class RoleSwapReportForm(forms.Form):
    """The report and up to three problems met; each problem can then go to the ledger in one step."""

    done_on = forms.DateField(label=_("体验日期"), widget=forms.DateInput(attrs={"type": "date"}))
    minutes_taken = forms.IntegerField(label=_("用时(分钟)"), min_value=1)
    what_was_done = forms.CharField(label=_("体验过程"), widget=forms.Textarea, max_length=5000)
    category_1 = forms.ChoiceField(label=_("问题类别"), choices=[("", "—"), *ProblemCategory.choices], required=False)
    title_1 = forms.CharField(label=_("问题"), required=False, max_length=200)
    description_1 = forms.CharField(label=_("问题表现"), required=False, widget=forms.Textarea)
    category_2 = forms.ChoiceField(label=_("问题类别"), choices=[("", "—"), *ProblemCategory.choices], required=False)
    title_2 = forms.CharField(label=_("问题"), required=False, max_length=200)
    description_2 = forms.CharField(label=_("问题表现"), required=False, widget=forms.Textarea)
    category_3 = forms.ChoiceField(label=_("问题类别"), choices=[("", "—"), *ProblemCategory.choices], required=False)
    title_3 = forms.CharField(label=_("问题"), required=False, max_length=200)
    description_3 = forms.CharField(label=_("问题表现"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name[-2:] in ("_1", "_2", "_3"):  # rendered without a <label>
                field.widget.attrs["aria-label"] = f"{field.label} {name[-1]}"

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for n in (1, 2, 3):
            if data.get(f"title_{n}") and not data.get(f"category_{n}"):
                self.add_error(f"category_{n}", _("请选择问题类别。"))
        return data

    def findings(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "category": data[f"category_{n}"],
                "title": data[f"title_{n}"],
                "description": data[f"description_{n}"] or data[f"title_{n}"],
            }
            for n in (1, 2, 3)
            if data.get(f"title_{n}")
        ]
