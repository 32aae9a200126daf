"""The decisions taken in the inbox. Each names its choice by button, and says what it will do before it does it.

A decision runs only with `confirm` set, which only the confirmation step's button sends: a first post (a
click on a decision button, or a form sent any other way) validates and asks to confirm, never decides.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import selectors as complaints_selectors
from complaints.models import WorkOrder
from development.models import ScoreAppeal
from rectification import selectors as rectification_selectors
from rectification.models import Problem


class DecisionForm(forms.Form):
    choice = forms.ChoiceField(choices=())
    confirm = forms.BooleanField(required=False)

    def __init__(self, *args: Any, obj: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.obj = obj

    def what(self) -> str:
        """What the chosen decision will do, in a sentence (the confirmation step shows it)."""
        raise NotImplementedError

    @property
    def choice_label(self) -> str:
        return dict(self.fields["choice"].choices).get(self.cleaned_data["choice"], "")  # type: ignore[attr-defined]


class AppealDecideForm(DecisionForm):
    UPHOLD, REJECT = "uphold", "reject"

    choice = forms.ChoiceField(choices=[(UPHOLD, gettext_lazy("申诉成立")), (REJECT, gettext_lazy("驳回"))])
    corrected_value = forms.DecimalField(
        label=gettext_lazy("更正后的指标值"), required=False, max_digits=12, decimal_places=4
    )
    reason = forms.CharField(label=gettext_lazy("处理意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("choice") == self.UPHOLD:
            if not self.obj.indicator_code:
                self.add_error("choice", _("未指明指标的申诉不能在此改分，请驳回或在月度评分页更正输入。"))
            elif data.get("corrected_value") is None and "corrected_value" not in self.errors:
                self.add_error("corrected_value", _("申诉成立时须填写更正后的指标值。"))
        return data

    def what(self) -> str:
        appeal: ScoreAppeal = self.obj
        names = {"name": appeal.staff.name or appeal.staff.username, "month": f"{appeal.month:%Y-%m}"}
        if self.cleaned_data["choice"] == self.UPHOLD:
            return _(
                "申诉成立：%(name)s %(month)s 的指标 %(indicator)s 更正为 %(value)s，该月评分随即重新计算，申诉人可看到处理意见。"
            ) % {**names, "indicator": appeal.indicator_code, "value": self.cleaned_data["corrected_value"]}
        return _("驳回 %(name)s 对 %(month)s 评分的申诉：得分不变，申诉人可看到处理意见。") % names


class CloseOutDecideForm(DecisionForm):
    APPROVE, SEND_BACK = "approve", "send_back"

    choice = forms.ChoiceField(
        choices=[(APPROVE, gettext_lazy("验收通过，销号")), (SEND_BACK, gettext_lazy("退回整改"))]
    )
    reason = forms.CharField(
        label=gettext_lazy("验收意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("choice") == self.SEND_BACK and not (data.get("reason") or "").strip():
            self.add_error("reason", _("退回须说明理由。"))
        return data

    @property
    def to(self) -> str:
        if self.cleaned_data["choice"] == self.APPROVE:
            return Problem.Status.CLOSED
        return Problem.Status.IN_RECTIFICATION

    def what(self) -> str:
        return rectification_selectors.close_out_decision_summary(problem=self.obj, to=self.to)


class ExtensionDecideForm(DecisionForm):
    """A 12345 work order's extension request (延期申请): approve or refuse (refusing says why)."""

    APPROVE, REFUSE = "approve", "refuse"

    choice = forms.ChoiceField(choices=[(APPROVE, gettext_lazy("同意延期")), (REFUSE, gettext_lazy("不同意延期"))])
    reason = forms.CharField(
        label=gettext_lazy("审批意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("choice") == self.REFUSE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("不同意延期须说明理由。"))
        return data

    @property
    def action(self) -> str:
        approve = self.cleaned_data["choice"] == self.APPROVE
        return WorkOrder.Action.APPROVE_EXTENSION if approve else WorkOrder.Action.REFUSE_EXTENSION

    def what(self) -> str:
        return complaints_selectors.work_order_step_summary(self.obj, self.action, {})
