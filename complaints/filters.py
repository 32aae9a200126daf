from __future__ import annotations

from datetime import date

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice import access
from govservice.categories import ProblemCategory
from govservice.choices import label_with_centre
from govservice.workdays import WorkCalendar
from staff.models import Window
from staff.selectors import no_windows, scope_to_user, window_list

from .deadlines import (
    BAD_REVIEW_FINISHED,
    COMPLAINT_FINISHED,
    ESCALATION_ANSWERED,
    bad_review_rectify_overdue,
    complaint_due_within_q,
    complaint_overdue_q,
    complaint_soon_limit,
    escalation_overdue,
)
from .models import BadReview, Channel, Complaint, Escalation, Evaluation, EvaluationLevel


class AllYesNo(forms.NullBooleanSelect):
    """A yes/no filter whose "no filter" choice reads "All": Django's reads "Unknown" (未知), which a leader
    took for a value of the field rather than for "do not filter"."""

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("全部")), ("true", _("是")), ("false", _("否"))]


# The dashboards count with these same definitions and link to the lists with these filters:
# a number and the list it opens must agree row for row.
# "Finished", "answered" and "overdue" are defined once, in complaints/deadlines.py.


def _centre() -> django_filters.CharFilter:
    """`centre=<code>`: what the leader dashboard's centre filter passes on to the list it opens.

    Hidden in the list's filter bar (the dashboard sets it); lists are scoped to the user first,
    so another centre's code lists nothing for a centre's own staff.
    """
    return django_filters.CharFilter(label=_("中心"), field_name="centre__code", widget=forms.HiddenInput)


def _department(method: str) -> django_filters.NumberFilter:
    """`department=<id>`: the leader dashboard's department filter, with the dashboard's meaning."""
    return django_filters.NumberFilter(label=_("部门"), method=method, widget=forms.HiddenInput)


def _centre_channels(request: object) -> QuerySet[Channel]:
    """Only the channels of the caller's centre are offered (another centre's names are not shown)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Channel.objects.none()
    if access.is_city_wide(user):
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
    open = django_filters.BooleanFilter(label=_("未办结"), method="by_open", widget=AllYesNo)
    due = django_filters.ChoiceFilter(
        label=_("答复期限"),
        choices=[("overdue", _("已逾期")), ("soon", _("1个工作日内到期"))],
        method="by_due",
    )
    received_from = django_filters.DateFilter(label=_("受理日期自"), field_name="received_at", lookup_expr="date__gte")
    received_to = django_filters.DateFilter(label=_("至"), field_name="received_at", lookup_expr="date__lte")
    centre = _centre()
    department = _department("by_department")

    class Meta:
        model = Complaint
        fields = ["q", "status", "kind", "category", "channel", "open", "due", "received_from", "received_to"]

    def by_department(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        """The complaint's own department or its window's (as the dashboard counts)."""
        return queryset.filter(Q(department_id=value) | Q(window__department_id=value))

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(tracking_no__icontains=value) | Q(content__icontains=value))

    def by_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(category="" if value == "none" else value)

    def by_open(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        finished = Q(status__in=COMPLAINT_FINISHED)
        return queryset.exclude(finished) if value else queryset.filter(finished)

    def by_due(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Waiting for the reply and past its deadline (overdue), or not yet past it but due by the end
        of the next working day (soon). Paused and replied complaints are in neither."""
        now = timezone.now()
        if value == "overdue":
            return queryset.filter(complaint_overdue_q(now))
        return queryset.filter(complaint_due_within_q(now, complaint_soon_limit(now)))


def _centre_windows(request: object) -> QuerySet[Window]:
    """The caller's windows, retired ones too: their ratings stay in the list."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return no_windows()
    return scope_to_user(window_list(), user).select_related("centre").order_by("centre__code", "code")


class WithCentreModelChoiceField(django_filters.fields.ModelChoiceField):
    """A city-wide user picks among every centre's windows: each is labelled with its centre."""

    def label_from_instance(self, obj: Window) -> str:
        return label_with_centre(obj)


class WindowFilter(django_filters.ModelChoiceFilter):
    field_class = WithCentreModelChoiceField


class EvaluationFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(label=_("评价等级"), choices=EvaluationLevel.choices)
    channel = django_filters.ModelChoiceFilter(label=_("渠道"), queryset=_centre_channels)
    # `window=none`: ratings not tied to a window (the dashboards' "no window" row).
    window = WindowFilter(label=_("窗口"), queryset=_centre_windows, null_label=_("未关联窗口"), null_value="none")
    excluded = django_filters.BooleanFilter(label=_("不计入统计"), widget=AllYesNo)
    follow_up = django_filters.BooleanFilter(
        label=_("追评"), field_name="follow_up_of", lookup_expr="isnull", exclude=True, widget=AllYesNo
    )
    rated_from = django_filters.DateFilter(label=_("评价日期自"), field_name="rated_at", lookup_expr="date__gte")
    rated_to = django_filters.DateFilter(label=_("至"), field_name="rated_at", lookup_expr="date__lte")
    centre = _centre()
    department = _department("by_department")

    class Meta:
        model = Evaluation
        fields = ["level", "channel", "window", "excluded", "follow_up", "rated_from", "rated_to"]

    def by_department(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        """The window's department (as the dashboard counts)."""
        return queryset.filter(window__department_id=value)


class BadReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=BadReview.Status.choices)
    state = django_filters.ChoiceFilter(
        label=_("处置情况"),
        choices=[
            ("open", _("处置中")),
            ("overdue", _("整改逾期")),
            ("valid", _("未认定无效")),
        ],
        method="by_state",
    )
    verdict = django_filters.ChoiceFilter(label=_("核实结论"), choices=BadReview.Verdict.choices)
    real_name = django_filters.BooleanFilter(
        label=_("实名评价"), field_name="evaluation__is_real_name", widget=AllYesNo
    )
    rated_from = django_filters.DateFilter(
        label=_("评价日期自"), field_name="evaluation__rated_at", lookup_expr="date__gte"
    )
    rated_to = django_filters.DateFilter(label=_("至"), field_name="evaluation__rated_at", lookup_expr="date__lte")
    centre = _centre()

    class Meta:
        model = BadReview
        fields = ["status", "state", "verdict", "real_name", "rated_from", "rated_to"]

    def by_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "open":
            return queryset.exclude(status__in=BAD_REVIEW_FINISHED)
        if value == "overdue":
            return queryset.filter(bad_review_rectify_overdue(timezone.localdate()))
        return queryset.exclude(status=BadReview.Status.EXCLUDED)


def escalation_due_by(today: date) -> date:
    """ "Near or past the 2/5-working-day limit": due by the next working day."""
    return WorkCalendar.load().add_working_days(today, 1).date


class EscalationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Escalation.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=Escalation.Kind.choices)
    due = django_filters.ChoiceFilter(
        label=_("答复时限"),
        choices=[("overdue", _("已逾期")), ("soon", _("临近或已逾期"))],
        method="by_due",
    )
    solved_from = django_filters.DateFilter(label=_("解决日期自"), field_name="solved_at", lookup_expr="date__gte")
    solved_to = django_filters.DateFilter(label=_("至"), field_name="solved_at", lookup_expr="date__lte")
    centre = _centre()

    class Meta:
        model = Escalation
        fields = ["status", "kind", "due", "solved_from", "solved_to"]

    def by_due(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Not yet answered, and due before today (overdue) or by the next working day (soon)."""
        today = timezone.localdate()
        waiting = queryset.exclude(status__in=ESCALATION_ANSWERED)
        if value == "overdue":
            return queryset.filter(escalation_overdue(today))
        return waiting.filter(due_date__lte=escalation_due_by(today))
