"""Staff API for feedback: list / filter / detail / classify / answer complaints; evaluations and their distribution.

Channels submit through the `intake` app; these endpoints are for logged-in staff
(session auth). Personal data is masked in every output; unknown input fields are
rejected, not ignored.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from govservice import access
from govservice.categories import ProblemCategory
from govservice.exceptions import NotPermitted, ValidationFailed
from govservice.masking import mask_name, mask_phone
from rectification.selectors import problem_by_code
from staff.http import AuthenticatedRequest

from . import selectors, services
from .deadlines import complaint_is_overdue, complaints_with_overdue_flag
from .filters import ComplaintFilter, EvaluationFilter
from .models import Complaint, Evaluation


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error: a typo must not silently drop what the caller meant."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = set(data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError({name: [_("未知字段。")] for name in sorted(unknown)})
        return super().to_internal_value(data)


class ComplaintOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    tracking_no = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    channel = serializers.CharField(source="channel.code")
    channel_kind = serializers.CharField(source="channel.kind")
    content = serializers.CharField()
    contact_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    category = serializers.CharField()
    suggested_category = serializers.SerializerMethodField()
    problem = serializers.CharField(source="problem.code", allow_null=True, default=None)
    window = serializers.CharField(source="window.code", allow_null=True, default=None)
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    reply = serializers.CharField()
    replied_at = serializers.DateTimeField(allow_null=True)
    callback_satisfied = serializers.BooleanField(allow_null=True)
    merged_into = serializers.CharField(source="merged_into.tracking_no", allow_null=True, default=None)
    received_at = serializers.DateTimeField()
    reply_due_at = serializers.DateTimeField(allow_null=True)
    reply_due_provisional = serializers.BooleanField()
    reply_paused = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    def get_reply_paused(self, complaint: Complaint) -> bool:
        """Waiting for the citizen: the reply clock stands still."""
        return complaint.status == Complaint.Status.WAITING_CITIZEN

    def get_overdue(self, complaint: Complaint) -> bool:
        """Waiting for the reply and past `reply_due_at` (complaints.deadlines.complaint_overdue_q)."""
        flagged = getattr(complaint, "overdue", None)
        if flagged is not None:
            return bool(flagged)
        return complaint_is_overdue(complaint, timezone.now())

    def get_contact_name(self, complaint: Complaint) -> str:
        return mask_name(complaint.contact_name)

    def get_contact_phone(self, complaint: Complaint) -> str:
        return mask_phone(complaint.contact_phone)

    def get_suggested_category(self, complaint: Complaint) -> str:
        return services.suggest_category(complaint.content)


class ComplaintDetailOutputSerializer(ComplaintOutputSerializer):
    class EventOutput(serializers.Serializer):
        created_at = serializers.DateTimeField()
        old_status = serializers.CharField()
        new_status = serializers.CharField()
        actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
        note = serializers.CharField()

    events = EventOutput(many=True, source="events.all")
    sources = serializers.SerializerMethodField()

    def get_sources(self, complaint: Complaint) -> list[dict[str, str]]:
        return [
            {"tracking_no": s.tracking_no, "channel": s.channel.code}
            for s in complaint.merged_sources.select_related("channel")
        ]


class FeedbackPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


class ComplaintListApi(APIView):
    """Complaints and suggestions in the caller's scope, filtered (django-filter) and paginated."""

    # Its list answer is {count, next, previous, results}; drf-spectacular reads this to say so in the schema.
    pagination_class = FeedbackPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("status", str, enum=Complaint.Status.values),
            OpenApiParameter("kind", str, enum=Complaint.Kind.values),
            OpenApiParameter("category", str, enum=[*ProblemCategory.values, "none"]),
            OpenApiParameter("channel", int),
            OpenApiParameter("received_from", OpenApiTypes.DATE),
            OpenApiParameter("received_to", OpenApiTypes.DATE),
            OpenApiParameter("due", str, enum=["overdue", "soon"]),
            OpenApiParameter("page", int),
        ],
        responses=ComplaintOutputSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        queryset = complaints_with_overdue_flag(selectors.complaint_list_for(user=request.user), timezone.now())
        filterset = ComplaintFilter(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        paginator = self.pagination_class()
        page: list[Complaint] | None = paginator.paginate_queryset(
            filterset.qs.select_related("merged_into"), request, view=self
        )
        return paginator.get_paginated_response(ComplaintOutputSerializer(page, many=True).data)


class ComplaintDetailApi(APIView):
    @extend_schema(responses=ComplaintDetailOutputSerializer)
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        complaint = selectors.complaint_get_for(user=request.user, public_id=public_id)
        return Response(ComplaintDetailOutputSerializer(complaint).data)


class ComplaintClassifyApi(APIView):
    """Staff decide the category (the suggestion in the output is only a hint) and may link a ledger problem."""

    class InputSerializer(StrictSerializer):
        category = serializers.ChoiceField(choices=ProblemCategory.choices)
        problem = serializers.CharField(required=False, allow_blank=True, max_length=20, help_text="台账问题编号")
        note = serializers.CharField(required=False, allow_blank=True, max_length=500)

    @extend_schema(request=InputSerializer, responses=ComplaintDetailOutputSerializer)
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        complaint = selectors.complaint_get_for(user=request.user, public_id=public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem = None
        if data.validated_data.get("problem"):
            problem = problem_by_code(centre_id=complaint.centre_id, code=data.validated_data["problem"])
            if problem is None:
                raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="problem")
        complaint = services.complaint_classify(
            complaint_id=complaint.id,
            category=data.validated_data["category"],
            problem=problem,
            note=data.validated_data.get("note", ""),
            actor=request.user,
        )
        return Response(ComplaintDetailOutputSerializer(complaint).data)


class ComplaintAnswerApi(APIView):
    """Answer the citizen (reply); the complaint moves to "replied"."""

    class InputSerializer(StrictSerializer):
        reply = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses=ComplaintDetailOutputSerializer)
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        complaint = selectors.complaint_get_for(user=request.user, public_id=public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        complaint = services.complaint_reply(
            complaint_id=complaint.id, reply=data.validated_data["reply"], actor=request.user
        )
        return Response(ComplaintDetailOutputSerializer(complaint).data)


class EvaluationOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    level = serializers.IntegerField()
    level_label = serializers.CharField(source="get_level_display")
    channel = serializers.CharField(source="channel.code")
    window = serializers.CharField(source="window.code", allow_null=True, default=None)
    staff = serializers.CharField(source="staff.username", allow_null=True, default=None)
    text = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    is_real_name = serializers.BooleanField()
    excluded = serializers.BooleanField()
    excluded_reason = serializers.CharField()
    is_follow_up = serializers.SerializerMethodField()
    rated_at = serializers.DateTimeField()

    def get_is_follow_up(self, evaluation: Evaluation) -> bool:
        return evaluation.follow_up_of_id is not None


class EvaluationListApi(APIView):
    # Its list answer is {count, next, previous, results}; drf-spectacular reads this to say so in the schema.
    pagination_class = FeedbackPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("level", int, enum=[1, 2, 3, 4, 5]),
            OpenApiParameter("channel", int),
            OpenApiParameter("window", int),
            OpenApiParameter("excluded", bool),
            OpenApiParameter("rated_from", OpenApiTypes.DATE),
            OpenApiParameter("rated_to", OpenApiTypes.DATE),
            OpenApiParameter("page", int),
        ],
        responses=EvaluationOutputSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filterset = EvaluationFilter(
            request.query_params, queryset=selectors.evaluation_list_for(user=request.user), request=request
        )
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        paginator = self.pagination_class()
        page: list[Evaluation] | None = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(EvaluationOutputSerializer(page, many=True).data)


class DistributionOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    # The API's field is named "label". Serializer's metaclass moves declared fields off the class, so
    # Field.label (which the stub sees it override) is not shadowed at run time.
    label = serializers.CharField()  # type: ignore[assignment]  # see the comment above
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    very_satisfied_rate = serializers.FloatField()
    satisfied_rate = serializers.FloatField()


class EvaluationDistributionApi(APIView):
    """The full five-level distribution by month, window or channel (excluded ratings do not count)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("by", str, enum=["month", "window", "channel"]),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=DistributionOutputSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        if not access.can_work_on_feedback(request.user):
            raise NotPermitted()

        class Query(StrictSerializer):
            by = serializers.ChoiceField(choices=["month", "window", "channel"], default="month")
            start = serializers.DateField(required=False)
            end = serializers.DateField(required=False)

        query = Query(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        rows = selectors.evaluation_distribution(user=request.user, **query.validated_data)
        out = [
            {
                "key": row.key,
                "label": row.label,
                "counts": {str(level): row.counts.get(level, 0) for level in selectors.LEVELS},
                "total": row.total,
                "very_satisfied_rate": row.very_satisfied_rate,
                "satisfied_rate": row.satisfied_rate,
            }
            for row in rows
        ]
        return Response(DistributionOutputSerializer(out, many=True).data)


api_urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback/complaints/", ComplaintListApi.as_view(), name="complaints-complaint-list"),
    path("feedback/complaints/<str:public_id>/", ComplaintDetailApi.as_view(), name="complaints-complaint-detail"),
    path(
        "feedback/complaints/<str:public_id>/classification/",
        ComplaintClassifyApi.as_view(),
        name="complaints-complaint-classify",
    ),
    path("feedback/complaints/<str:public_id>/reply/", ComplaintAnswerApi.as_view(), name="complaints-complaint-reply"),
    path("feedback/evaluations/", EvaluationListApi.as_view(), name="complaints-evaluation-list"),
    path(
        "feedback/evaluations/distribution/",
        EvaluationDistributionApi.as_view(),
        name="complaints-evaluation-distribution",
    ),
]
