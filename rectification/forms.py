from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from govservice.roles import LEADER_ROLES
from staff.models import Department, User

from .models import Problem, ProblemCategory, ProblemSource


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: object, initial: object = None) -> list:
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


EVIDENCE_ACCEPT = ".jpg,.jpeg,.png,.gif,.webp,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}))
    percentage = forms.IntegerField(label=_("完成进度(%)"), min_value=0, max_value=100)
    files = MultipleFileField(
        label=_("佐证材料"),
        widget=MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}),
        help_text=_("图片、PDF 或 Office 文档，单个不超过 20 MB"),
    )


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Problem.Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(label=_("佐证材料"), widget=MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))


class MeasureForm(forms.Form):
    description = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=User.objects.none())
    owner_department = forms.ModelChoiceField(label=_("责任单位"), queryset=Department.objects.none(), required=False)
    deadline = forms.DateField(label=_("整改时限"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start_on = forms.DateField(label=_("起算日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    working_days = forms.IntegerField(label=_("工作日时限"), required=False, min_value=1, max_value=365)
    weight = forms.IntegerField(label=_("权重"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args: object, problem: Problem, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(centre=problem.centre, is_active=True).order_by("name")
        self.fields["owner_department"].queryset = Department.objects.filter(centre=problem.centre)


class ProblemForm(forms.Form):
    category = forms.ChoiceField(label=_("问题类别"), choices=ProblemCategory.choices)
    code = forms.CharField(label=_("问题编号"), required=False, help_text=_("留空自动编号，如 TD-03"))
    title = forms.CharField(label=_("问题名称"), max_length=200)
    description = forms.CharField(label=_("问题表现"), widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(label=_("问题来源"), choices=ProblemSource.choices)
    found_on = forms.DateField(label=_("发现日期"), widget=forms.DateInput(attrs={"type": "date"}))
    responsible_leader = forms.ModelChoiceField(label=_("责任领导"), queryset=User.objects.none())
    responsible_department = forms.ModelChoiceField(
        label=_("责任单位"), queryset=Department.objects.none(), required=False
    )
    responsible_person = forms.ModelChoiceField(label=_("责任人"), queryset=User.objects.none())

    def __init__(self, *args: object, centre_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(centre_id=centre_id, is_active=True).order_by("name")
        self.fields["responsible_leader"].queryset = people.filter(roles__role__in=LEADER_ROLES).distinct()
        self.fields["responsible_person"].queryset = people
        self.fields["responsible_department"].queryset = Department.objects.filter(centre_id=centre_id)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("台账 Excel 文件 (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
