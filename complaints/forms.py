from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govservice.categories import ProblemCategory
from govservice.numbers import normalize_phone
from govservice.selectors import departments_of, no_departments
from rectification.selectors import no_problems, problems_of
from staff.models import Role
from staff.selectors import active_staff_of, active_staff_with_roles, no_staff

from .models import BadReview, Complaint, DutySlot, Escalation, EvaluationLevel, EvaluationTag, WorkOrder
from .rota import rota_headers_shown

PHONE_RE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's own copy of a declared ModelChoiceField (`form.fields` is typed as plain Fields)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):  # the form class declares it as one
        raise TypeError(f"{name} is not a ModelChoiceField")
    return field


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's own copy of a declared ChoiceField, whose choices are set per request."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):  # the form class declares it as one
        raise TypeError(f"{name} is not a ChoiceField")
    return field


def _clean_phone(value: str) -> str:
    value = normalize_phone(value)  # full-width digits, separators, +86: one spelling before checking
    if value and not PHONE_RE.match(value):
        raise forms.ValidationError(_("请填写正确的手机号或座机号。"))
    return value


class RateForm(forms.Form):
    """The citizen's few taps: a level, optional tags and words, optionally a complaint with a phone."""

    level = forms.TypedChoiceField(
        label=_("您对本次服务满意吗？"),
        choices=sorted(EvaluationLevel.choices, reverse=True),
        coerce=int,
        widget=forms.RadioSelect,
    )
    tags = forms.MultipleChoiceField(label=_("哪些方面？"), required=False, widget=forms.CheckboxSelectMultiple)
    text = forms.CharField(label=_("想说的话（选填）"), required=False, max_length=500, widget=forms.Textarea)
    complain = forms.BooleanField(label=_("我要投诉"), required=False)
    contact_phone = forms.CharField(label=_("联系电话（选填）"), required=False, max_length=20)
    # A complaint needs a way to answer it, or the citizen's explicit choice not to leave one
    # (complaints/services/citizen.py: complaint_contact_check).
    contact_other = forms.CharField(label=_("其他联系方式（邮箱、微信等，选填）"), required=False, max_length=100)
    anonymous = forms.BooleanField(label=_("匿名投诉（不留联系方式，无法收到答复）"), required=False)

    def __init__(self, *args: Any, allow_complaint: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag_objects = list(EvaluationTag.objects.filter(is_active=True))
        choice_field(self, "tags").choices = [(t.code, t.label) for t in self.tag_objects]
        if not allow_complaint:
            del self.fields["complain"]
            del self.fields["contact_phone"]
            del self.fields["contact_other"]
            del self.fields["anonymous"]

    def clean_contact_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("contact_phone", ""))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns, typed without its Optional
        level = data.get("level")
        if level:
            allowed = {t.code for t in self.tag_objects if not t.levels or level in t.levels}
            data["tags"] = [t for t in data.get("tags", []) if t in allowed]
        if data.get("complain") and not (data.get("text") or "").strip():
            self.add_error("text", _("投诉请写明具体情况。"))
        no_contact = not data.get("contact_phone") and not (data.get("contact_other") or "").strip()
        # A phone that failed its check has its own error already: no second one about missing contact.
        if data.get("complain") and not data.get("anonymous") and no_contact and "contact_phone" not in self.errors:
            self.add_error(
                "contact_other",
                _("请留下手机号或其他联系方式；不留联系方式请勾选“匿名投诉”（匿名投诉无法收到答复）。"),
            )
        return data


class ClassifyForm(forms.Form):
    category = forms.ChoiceField(label=_("问题类别"), choices=ProblemCategory.choices)
    problem = forms.ModelChoiceField(label=_("关联台账问题"), queryset=no_problems(), required=False)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "problem").queryset = problems_of(centre_id=centre_id)


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(label=_("承办部门"), queryset=no_departments())
    owner = forms.ModelChoiceField(label=_("承办人"), queryset=no_staff())

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "department").queryset = departments_of(centre_id=centre_id).order_by("code")
        model_choice_field(self, "owner").queryset = active_staff_of(centre_id=centre_id).order_by("username")


class WaitForm(forms.Form):
    """Pausing for (or resuming after) the citizen's supplement: a note for the history (a text area:
    Enter starts a new line and never sends the form)."""

    note = forms.CharField(label=_("说明"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("答复内容"), widget=forms.Textarea, max_length=2000)


class CallbackForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=_("回访结果"),
        choices=[("1", _("满意")), ("0", _("不满意"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("回访情况"), required=False, max_length=1000, widget=forms.Textarea)


class MergeForm(forms.Form):
    duplicate = forms.ModelChoiceField(label=_("合并的重复件"), queryset=Complaint.objects.none())

    def __init__(self, *args: Any, candidates: list[Complaint], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "duplicate").queryset = Complaint.objects.filter(id__in=[c.id for c in candidates])


class VerifyForm(forms.Form):
    verdict = forms.ChoiceField(label=_("核实结论"), choices=BadReview.Verdict.choices)
    note = forms.CharField(label=_("核实情况"), required=False, widget=forms.Textarea, max_length=2000)
    is_complex = forms.BooleanField(label=_("复杂问题（纳入整改台账）"), required=False)
    problem = forms.ModelChoiceField(label=_("关联台账问题"), queryset=no_problems(), required=False)

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "problem").queryset = problems_of(centre_id=centre_id)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea, max_length=2000)


class RectifyForm(forms.Form):
    rectification = forms.CharField(label=_("整改措施"), widget=forms.Textarea, max_length=2000)


class AppealDecisionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("复核结论"),
        choices=[("1", _("申诉成立，评价不计入")), ("0", _("申诉不成立，继续整改"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    decision = forms.CharField(label=_("复核意见"), widget=forms.Textarea, max_length=2000)


class EscalationForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Escalation.Kind.choices)
    reason = forms.ChoiceField(label=_("原因"), choices=Escalation.Reason.choices)
    citizen_name = forms.CharField(label=_("反映人"), required=False, max_length=100)
    citizen_phone = forms.CharField(label=_("联系电话"), required=False, max_length=20)
    content = forms.CharField(label=_("反映内容"), widget=forms.Textarea, max_length=4000)

    def clean_citizen_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("citizen_phone", ""))


class EscalationDepartmentForm(forms.Form):
    department = forms.ModelChoiceField(label=_("部门"), queryset=no_departments())
    part = forms.CharField(label=_("承担工作"), max_length=1000)

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "department").queryset = departments_of(centre_id=centre_id).order_by("code")


class AnswerForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.CharField(label=_("部门答复"), max_length=2000)


class ReportForm(forms.Form):
    report = forms.CharField(label=_("专题报告"), widget=forms.Textarea(attrs={"rows": 14}), max_length=20000)


class ResolveForm(forms.Form):
    solved = forms.TypedChoiceField(
        label=_("结果"),
        choices=[("1", _("已解决")), ("0", _("未能解决"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    outcome = forms.CharField(label=_("办理结果"), widget=forms.Textarea, max_length=4000)


class CloseForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("群众满意度"), choices=sorted(EvaluationLevel.choices, reverse=True), coerce=int
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=1000)


class DutySlotForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("星期"), choices=DutySlot.Weekday.choices, coerce=int)
    half = forms.ChoiceField(label=_("时段"), choices=DutySlot.Half.choices)
    leader = forms.ModelChoiceField(label=_("值班领导"), queryset=no_staff(), required=False)

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "leader").queryset = active_staff_with_roles(
            centre_id=centre_id, roles=(Role.LEADER,)
        ).distinct()


class DutySwapForm(DutySlotForm):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("说明"), required=False, max_length=200)

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, centre_id=centre_id, **kwargs)
        del self.fields["weekday"]
        self.fields["leader"].required = True


class RotaImportForm(forms.Form):
    file = forms.FileField(
        label=_("值班表（Excel）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The header row in the reader's language; the import takes the Chinese and the English headers.
        self.fields["file"].help_text = _(
            "第一行为表头：%(headers)s；值班领导填工号、用户名或姓名。导入后替换每周安排。"
        ) % {"headers": rota_headers_shown()}


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=no_staff())

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "owner").queryset = active_staff_of(centre_id=centre_id).order_by("username")


class WorkOrderStepForm(forms.Form):
    """One step of a 12345 work order. Sent first without `confirm` (it only asks to confirm), then with it."""

    note = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)
    days = forms.IntegerField(label=_("延期工作日数"), min_value=1, max_value=60, required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        needs_reason = action in WorkOrder.REASON_REQUIRED
        self.fields["note"].required = needs_reason
        if action == WorkOrder.Action.ANSWER:
            self.fields["note"].label = _("办结答复")
        elif not needs_reason:
            self.fields["note"].label = _("说明（可不填）")
        if action == WorkOrder.Action.REQUEST_EXTENSION:
            self.fields["days"].required = True
        else:
            del self.fields["days"]
        if action == WorkOrder.Action.SIGN:
            del self.fields["note"]
