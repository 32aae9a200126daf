from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from rectification.models import ProblemCategory
from staff.models import Window
from staff.selectors import window_list_for

from .models import BadReview, Channel, Complaint, Escalation, Evaluation, EvaluationLevel


def _centre_channels(request: object) -> QuerySet[Channel]:
    """Only the channels of the caller's centre are offered (another centre's names are not shown)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Channel.objects.none()
    if user.is_city_wide:
        return Channel.objects.all()
    return Channel.objects.filter(centres=user.centre_id).distinct()


class ComplaintFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("关键词"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Complaint.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=Complaint.Kind.choices)
    category = django_filters.ChoiceFilter(
        label=_("问题类别"), choices=[*ProblemCategory.choices, ("none", _("未归类"))], method="by_category"
    )
    channel = django_filters.ModelChoiceFilter(label=_("渠道"), queryset=_centre_channels)
    received_from = django_filters.DateFilter(label=_("受理日期自"), field_name="received_at", lookup_expr="date__gte")
    received_to = django_filters.DateFilter(label=_("至"), field_name="received_at", lookup_expr="date__lte")

    class Meta:
        model = Complaint
        fields = ["q", "status", "kind", "category", "channel", "received_from", "received_to"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(tracking_no__icontains=value) | Q(content__icontains=value))

    def by_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(category="" if value == "none" else value)


def _centre_windows(request: object) -> QuerySet[Window]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Window.objects.none()
    return window_list_for(user=user).order_by("centre__code", "code")


class EvaluationFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(label=_("评价等级"), choices=EvaluationLevel.choices)
    channel = django_filters.ModelChoiceFilter(label=_("渠道"), queryset=_centre_channels)
    window = django_filters.ModelChoiceFilter(label=_("窗口"), queryset=_centre_windows)
    excluded = django_filters.BooleanFilter(label=_("不计入统计"))
    rated_from = django_filters.DateFilter(label=_("评价日期自"), field_name="rated_at", lookup_expr="date__gte")
    rated_to = django_filters.DateFilter(label=_("至"), field_name="rated_at", lookup_expr="date__lte")

    class Meta:
        model = Evaluation
        fields = ["level", "channel", "window", "excluded", "rated_from", "rated_to"]


class BadReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=BadReview.Status.choices)
    verdict = django_filters.ChoiceFilter(label=_("核实结论"), choices=BadReview.Verdict.choices)

    class Meta:
        model = BadReview
        fields = ["status", "verdict"]


class EscalationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Escalation.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=Escalation.Kind.choices)

    class Meta:
        model = Escalation
        fields = ["status", "kind"]
