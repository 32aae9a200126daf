from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import MatterType
from cases.selectors import no_matter_types
from govservice.choices import WithCentreChoiceField
from govservice.models import Department
from govservice.selectors import no_departments
from govservice.spreadsheet import SpreadsheetRefused, check_upload

from .models import AnswerFeedback, Question, split_words
from .services import QuestionData


class QuestionForm(forms.Form):
    question = forms.CharField(label=pgettext_lazy("question", "问题"), max_length=300)
    variants = forms.CharField(
        label=_("相似问法"), required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("每行一个")
    )
    answer = forms.CharField(label=_("答复"), widget=forms.Textarea(attrs={"rows": 6}))
    department = WithCentreChoiceField(label=_("部门"), queryset=no_departments(), required=False)
    policy_document = forms.CharField(label=_("政策文件名称"), max_length=200, required=False)
    policy_article = forms.CharField(label=_("条款"), max_length=100, required=False)
    policy_date = forms.DateField(label=_("文件日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    policy_basis = forms.CharField(label=_("政策依据"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    policy_repealed_on = forms.DateField(
        label=_("政策废止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    procedure = forms.CharField(label=_("办理流程"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    materials = forms.CharField(label=_("所需材料"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    matter_types = forms.ModelMultipleChoiceField(label=_("关联事项"), queryset=no_matter_types(), required=False)
    tags = forms.CharField(label=_("标签"), required=False, help_text=_("用空格或逗号分隔"))
    needs_legal_review = forms.BooleanField(label=_("需法制审核"), required=False)
    valid_from = forms.DateField(label=_("生效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("失效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("修改说明"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        departments: QuerySet[Department] | None = None,
        matter_types: QuerySet[MatterType] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Both declared above as model choice fields; the stubs type `fields` values as the Field base.
        if departments is not None:
            cast(forms.ModelChoiceField, self.fields["department"]).queryset = departments
        if matter_types is not None:
            cast(forms.ModelMultipleChoiceField, self.fields["matter_types"]).queryset = matter_types

    @classmethod
    def initial_for(cls, question: Question) -> dict:
        return {
            "question": question.question,
            "variants": "\n".join(question.variants.values_list("text", flat=True)),
            "answer": question.answer,
            "department": question.department_id,
            "policy_document": question.policy_document,
            "policy_article": question.policy_article,
            "policy_date": question.policy_date,
            "policy_basis": question.policy_basis,
            "policy_repealed_on": question.policy_repealed_on,
            "procedure": question.procedure,
            "materials": question.materials,
            "matter_types": list(question.matter_types.values_list("id", flat=True)),
            "tags": " ".join(question.tags.values_list("name", flat=True)),
            "needs_legal_review": question.needs_legal_review,
            "valid_from": question.valid_from,
            "valid_until": question.valid_until,
        }

    def to_data(self) -> QuestionData:
        c = self.cleaned_data
        return QuestionData(
            question=c["question"],
            answer=c["answer"],
            department_id=c["department"].id if c["department"] else None,
            variants=[line for line in c["variants"].splitlines() if line.strip()],
            policy_document=c["policy_document"],
            policy_article=c["policy_article"],
            policy_date=c["policy_date"],
            policy_basis=c["policy_basis"],
            policy_repealed_on=c["policy_repealed_on"],
            procedure=c["procedure"],
            materials=c["materials"],
            tags=split_words(c["tags"]),
            matter_type_ids=[m.id for m in c["matter_types"]],
            needs_legal_review=c["needs_legal_review"],
            valid_from=c["valid_from"],
            valid_until=c["valid_until"],
        )


class FeedbackForm(forms.Form):
    verdict = forms.ChoiceField(label=pgettext_lazy("answer mark", "评价"), choices=AnswerFeedback.Verdict.choices)
    comment = forms.CharField(label=_("说明"), max_length=500, required=False)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Question.Status.choices)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class ResolveTaskForm(forms.Form):
    resolution = forms.CharField(label=_("处理说明"), max_length=500)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("题库表格（.xlsx）"))
    publish = forms.BooleanField(
        label=_("直接发布"), required=False, help_text=_("仅用于已经审核过的题库；否则导入为草稿，走审核流程。")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_upload(upload.name, upload.size, formats=("xlsx",))  # the task reads it, not the request
        except SpreadsheetRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload
