from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from govservice.categories import ProblemCategory
from govservice.roles import LEADER_ROLES
from govservice.selectors import departments_of, no_departments
from govservice.spreadsheet import SpreadsheetRefused, check_upload
from staff.selectors import active_staff_of, no_staff

from .models import Problem, ProblemSource


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def _model_choices(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    """The form's field `name`, declared as a ModelChoiceField (form.fields holds plain Fields)."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - the form class declares it as one
    return field


EVIDENCE_ACCEPT = ".jpg,.jpeg,.png,.gif,.webp,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}))
    percentage = forms.IntegerField(label=_("完成进度(%)"), min_value=0, max_value=100)
    # The form field "files" (the upload's name in the page); the metaclass moves declared fields into
    # base_fields, so BaseForm.files stays the request's upload dict.
    files = MultipleFileField(  # type: ignore[assignment]  # a field named like BaseForm.files, see above
        label=_("佐证材料"),
        widget=MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}),
        help_text=_("图片、PDF 或 Office 文档，单个不超过 20 MB"),
    )


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Problem.Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(  # type: ignore[assignment]  # a field named like BaseForm.files, as in ProgressForm
        label=_("佐证材料"), widget=MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT})
    )
    # Sent only by the confirmation step's button: deciding a close-out takes a second, explicit click.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class MeasureForm(forms.Form):
    description = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=no_staff())
    owner_department = forms.ModelChoiceField(label=_("责任单位"), queryset=no_departments(), required=False)
    deadline = forms.DateField(label=_("整改时限"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start_on = forms.DateField(label=_("起算日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    working_days = forms.IntegerField(label=_("工作日时限"), required=False, min_value=1, max_value=365)
    weight = forms.IntegerField(label=_("权重"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args: Any, problem: Problem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = active_staff_of(centre_id=problem.centre_id).order_by("name")
        _model_choices(self, "owner").queryset = owners
        _model_choices(self, "owner_department").queryset = departments_of(centre_id=problem.centre_id)


class ProblemForm(forms.Form):
    category = forms.ChoiceField(label=_("问题类别"), choices=ProblemCategory.choices)
    code = forms.CharField(label=_("问题编号"), required=False, help_text=_("留空自动编号，如 TD-03"))
    title = forms.CharField(label=_("问题名称"), max_length=200)
    description = forms.CharField(label=_("问题表现"), widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(label=_("问题来源"), choices=ProblemSource.choices)
    found_on = forms.DateField(label=_("发现日期"), widget=forms.DateInput(attrs={"type": "date"}))
    responsible_leader = forms.ModelChoiceField(label=_("责任领导"), queryset=no_staff())
    responsible_department = forms.ModelChoiceField(label=_("责任单位"), queryset=no_departments(), required=False)
    responsible_person = forms.ModelChoiceField(label=_("责任人"), queryset=no_staff())

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = active_staff_of(centre_id=centre_id).order_by("name")
        _model_choices(self, "responsible_leader").queryset = people.filter(roles__role__in=LEADER_ROLES).distinct()
        _model_choices(self, "responsible_person").queryset = people
        _model_choices(self, "responsible_department").queryset = departments_of(centre_id=centre_id)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("台账 Excel 文件 (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        try:
            check_upload(upload.name, upload.size, formats=("xlsx",))  # name and size only: the task reads it
        except SpreadsheetRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload
