"""Complaints and evaluations as Excel exports made in the background (govservice/exports).

The rows are the list page's, with its filters (the same FilterSet), streamed. Phone numbers are
masked unless a leader asked for them in full (a recorded reveal); free text is always the
scrubbed text (numbers inside it masked), as on the screens.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govservice import access
from govservice.categories import ProblemCategory
from govservice.exports import ExportKind, Rows, register
from govservice.masking import mask_phone
from staff.models import User

from .filters import ComplaintFilter, EvaluationFilter
from .models import Complaint, EvaluationLevel
from .selectors import complaint_list_for, evaluation_list_for

CHUNK = 2000


def _query(params: Mapping[str, str]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query[key] = value
    return query


def _when(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _name(obj: Any) -> str:
    return str(obj) if obj else ""


def _complaint_rows(user: User, params: Mapping[str, str], reveal: bool) -> Rows:
    queryset = ComplaintFilter(
        _query(params), queryset=complaint_list_for(user=user), request=SimpleNamespace(user=user)
    ).qs
    categories = dict(ProblemCategory.choices)
    statuses = dict(Complaint.Status.choices)
    kinds = dict(Complaint.Kind.choices)

    def stream() -> Iterator[Sequence[Any]]:
        for c in queryset.order_by("-received_at", "-id").iterator(chunk_size=CHUNK):
            yield [
                c.tracking_no,
                _when(c.received_at),
                _name(c.centre),
                _name(c.channel),
                str(kinds.get(c.kind, c.kind)),
                str(categories.get(c.category, _("未分类"))) if c.category else str(_("未分类")),
                _name(c.window),
                c.content,
                c.contact_phone if reveal else mask_phone(c.contact_phone),
                str(statuses.get(c.status, c.status)),
            ]

    headers = [_("编号"), _("受理时间"), _("中心"), _("渠道"), _("类型"), _("问题类别"), _("窗口"), _("内容")]
    headers += [_("联系电话"), _("状态")]
    return Rows(headers=headers, count=queryset.count(), rows=stream())


def _evaluation_rows(user: User, params: Mapping[str, str], reveal: bool) -> Rows:
    queryset = EvaluationFilter(
        _query(params), queryset=evaluation_list_for(user=user), request=SimpleNamespace(user=user)
    ).qs
    levels = dict(EvaluationLevel.choices)

    def stream() -> Iterator[Sequence[Any]]:
        for e in queryset.order_by("-rated_at", "-id").iterator(chunk_size=CHUNK):
            yield [
                _when(e.rated_at),
                _name(e.centre),
                _name(e.channel),
                _name(e.window),
                e.staff.name if e.staff else "",
                str(levels.get(e.level, e.level)),
                "、".join(e.tags),
                e.text,
                e.evaluator_phone if reveal else mask_phone(e.evaluator_phone),
                _("是") if e.excluded else "",
            ]

    headers = [_("评价时间"), _("中心"), _("渠道"), _("窗口"), _("工作人员"), _("评价等级"), _("评价标签")]
    headers += [_("评价内容"), _("评价人电话"), _("不计入统计")]
    return Rows(headers=headers, count=queryset.count(), rows=stream())


def register_exports() -> None:
    register(
        ExportKind(
            name="complaints",
            label=gettext_lazy("投诉建议"),
            allowed=access.can_work_on_feedback,
            rows=_complaint_rows,
            may_reveal=access.is_leader,
        )
    )
    register(
        ExportKind(
            name="evaluations",
            label=gettext_lazy("评价记录"),
            allowed=access.can_work_on_feedback,
            rows=_evaluation_rows,
            may_reveal=access.is_leader,
        )
    )
