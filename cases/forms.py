from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.exceptions import ValidationFailed
from staff.models import User
from staff.selectors import absent_user_ids

from .counter import Decision, MaterialSplit, material_errors, split_materials
from .models import (
    Assistance,
    AssistanceLog,
    Case,
    Commitment,
    Material,
    MatterType,
    RejectReason,
    ReminderCall,
)
from .services import applicant_has_bad_record, applicant_validate


def model_choice_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    """The form's own copy of a declared ModelChoiceField (`form.fields` is typed as plain Fields)."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - the form class declares it as one
    return field


class CaseLogForm(forms.Form):
    """One screen: matter type first, then the checklist, applicant, special groups; the decision is the
    button pressed (`decision`). Every rule is checked here so that all errors show at once beside their
    fields (cases/counter.py); nothing is written until the confirmation step."""

    matter_type: forms.ModelChoiceField[MatterType] = forms.ModelChoiceField(
        label=_("事项"), queryset=None, empty_label=_("— 请先选择事项 —")
    )
    # Rendered by the template as the matter's checklist; unticked until staff tick what they hold.
    provided = forms.TypedMultipleChoiceField(label=_("已收到的材料"), coerce=int, required=False, choices=[])
    applicant_kind = forms.ChoiceField(label=_("申请人类型"), choices=Case.ApplicantKind.choices, initial="person")
    applicant_name = forms.CharField(label=_("申请人（个人姓名或企业名称）"), max_length=100)
    applicant_id_number = forms.CharField(label=_("身份证号码 / 统一社会信用代码"), max_length=30, required=False)
    applicant_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    is_elderly = forms.BooleanField(label=_("老年人"), required=False)
    is_disabled = forms.BooleanField(label=_("残疾人"), required=False)
    is_other_special = forms.BooleanField(label=_("其他特殊群体"), required=False)
    submit_method = forms.ChoiceField(
        label=_("容缺材料补交方式"), choices=Commitment.SubmitMethod.choices, initial="window", required=False
    )

    def __init__(
        self,
        *args: Any,
        matter_types: QuerySet[MatterType],
        materials: Sequence[Material] = (),
        decision: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.materials = list(materials)
        self.decision = decision
        field = model_choice_field(self, "matter_type")
        field.queryset = matter_types
        field.widget.attrs.update(
            {
                "autofocus": True,  # the first field: staff start typing at once
                "hx-get": "",
                "hx-target": "#materials",
                "hx-trigger": "change",
                "hx-select": "#materials",
                "hx-swap": "outerHTML",
            }
        )
        provided = self.fields["provided"]
        assert isinstance(provided, forms.TypedMultipleChoiceField)  # noqa: S101 - declared above
        provided.choices = [(m.id, m.name) for m in self.materials]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.decision not in Decision.values:
            raise forms.ValidationError(_("请点击“受理”“容缺受理”或“仅登记咨询”按钮作出决定。"))
        kind = cleaned.get("applicant_kind")
        if kind:
            # Each number on its own, so that a wrong ID and a wrong phone are both named at once.
            for field, id_number, phone in (
                ("applicant_id_number", cleaned.get("applicant_id_number", ""), ""),
                ("applicant_phone", "", cleaned.get("applicant_phone", "")),
            ):
                try:
                    valid_id, valid_phone = applicant_validate(
                        kind=kind if field == "applicant_id_number" else Case.ApplicantKind.PERSON,
                        id_number=id_number,
                        phone=phone,
                    )
                except ValidationFailed as exc:
                    self.add_error(field, exc.message)
                else:
                    cleaned[field] = valid_id if field == "applicant_id_number" else valid_phone
        for message in material_errors(self.materials, cleaned.get("provided", []), self.decision):
            self.add_error("provided", message)
        if self.decision == Decision.ACCEPT_DEFICIENT:
            matter = cleaned.get("matter_type")
            id_number = cleaned.get("applicant_id_number", "")
            if matter and id_number and applicant_has_bad_record(centre_id=matter.centre_id, id_number=id_number):
                self.add_error("applicant_id_number", _("该申请人有未按承诺补正或虚假承诺的记录，不能适用容缺受理。"))
            if not cleaned.get("submit_method"):
                self.add_error("submit_method", _("请选择补交方式。"))
        return cleaned

    def split(self) -> MaterialSplit:
        """The materials the decision records (after `is_valid()`)."""
        return split_materials(self.materials, self.cleaned_data.get("provided", []), self.decision)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("变更为"), choices=Case.Status.choices)
    note = forms.CharField(label=_("结果 / 说明"), max_length=500, required=False)
    reason = forms.ChoiceField(label=_("不予受理理由"), choices=[("", "—"), *RejectReason.choices], required=False)
    referred_to = forms.CharField(label=_("已告知的有权机关"), max_length=200, required=False)


class HandoverOfferForm(forms.Form):
    """The receiver chosen from the centre's window staff, grouped by department and window (one
    <optgroup> each, e.g. "市场监管 · A03 企业开办"), departments in order; people absent today are marked
    with the day they are back, and named again under the field. A search box filters the list in the
    browser (cases/static/cases/counter.js); without JS it is a plain <select>."""

    to_user = forms.TypedChoiceField(label=_("转交给"), coerce=int, choices=[])
    reason = forms.CharField(label=_("转交理由"), max_length=300)

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = list(candidates.select_related("window", "window__department", "department"))
        self.candidates = {person.id: person for person in people}
        today = timezone.localdate()
        spans = absent_user_ids(user_ids=set(self.candidates), start=today, end=today)
        self.absent_until = {user_id: max(end for _start, end in found) for user_id, found in spans.items()}
        groups: dict[tuple[Any, ...], list[tuple[int, str]]] = {}
        for person in people:
            groups.setdefault(receiver_group(person), []).append((person.id, self.receiver_label(person)))
        field = self.fields["to_user"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 - declared above
        field.choices = [
            ("", _("— 请选择接收人 —")),
            *((key[-1], sorted(members, key=lambda m: m[1])) for key, members in sorted(groups.items())),
        ]
        field.widget.attrs["data-picker"] = "receiver"

    def receiver_label(self, person: User) -> str:
        until = self.absent_until.get(person.id)
        if until is None:
            return str(person)
        return str(_("%(name)s（缺勤至 %(until)s）") % {"name": person, "until": until.strftime("%m-%d")})

    def absent_receivers(self) -> list[str]:
        """The marked labels of the people absent today, for the warning under the field."""
        return [self.receiver_label(self.candidates[user_id]) for user_id in sorted(self.absent_until)]

    def clean_to_user(self) -> User:
        person = self.candidates.get(self.cleaned_data["to_user"])
        if person is None:
            raise forms.ValidationError(_("请选择本中心的另一名工作人员。"))
        return person


def receiver_group(person: User) -> tuple[Any, ...]:
    """(sort keys..., label) of a receiver's group: department, then window; people with neither last."""
    window = person.window if person.window_id else None
    department = person.department if person.department_id else (window.department if window else None)
    parts = [str(part) for part in (department, window) if part is not None]
    if not parts:
        return (2, "", "", str(_("其他人员")))
    return (
        0 if department else 1,
        department.code if department else "",
        window.code if window else "",
        " · ".join(parts),
    )


class HandoverResponseForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("答复"), choices=[("1", _("接收")), ("0", _("拒绝"))], coerce=lambda v: v == "1"
    )
    reason = forms.CharField(label=_("理由"), max_length=300, required=False)


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=_("延长工作日"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("延期理由"), max_length=300)


class CallOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("通话结果"),
        choices=[c for c in ReminderCall.Outcome.choices if c[0] not in ("pending", "cancelled")],
    )
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class AssignHelperForm(forms.Form):
    helper: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("帮办员"), queryset=None, empty_label=_("— 请选择帮办员 —")
    )

    def __init__(self, *args: Any, helpers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "helper").queryset = helpers


class AssistanceLogForm(forms.Form):
    action = forms.ChoiceField(label=_("帮办内容"), choices=AssistanceLog.Action.choices)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class SatisfactionForm(forms.Form):
    satisfaction = forms.TypedChoiceField(label=_("满意度"), choices=Assistance.Satisfaction.choices, coerce=int)


class ProgressLookupForm(forms.Form):
    tracking_no = forms.CharField(label=_("办件编号"), max_length=30)
    phone_last4 = forms.RegexField(
        label=_("手机号后四位"), regex=r"^\d{4}$", max_length=4, error_messages={"invalid": _("请输入 4 位数字。")}
    )
