"""API for service-star scoring: one's own breakdown, appeals, and the leader's re-run and lock."""

from __future__ import annotations

from typing import cast

from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from staff.http import signed_in_user

from . import scoring
from . import selectors as sel
from .models import IndicatorScore, ScoringRun, StaffMonthScore


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (govservice.exceptions)."""

    code = serializers.CharField()
    message = serializers.CharField()
    # The API's field is named "errors" (the contract), which shadows Serializer.errors for mypy only:
    # this serializer documents the error shape and never validates input.
    errors = serializers.DictField(  # type: ignore[assignment]  # shadows Serializer.errors, see above
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ScoreMeApi(APIView):
    """GET /api/v1/staff/scores/me/?month=YYYY-MM — one's own score with the reason for every indicator."""

    class LineSerializer(serializers.Serializer):
        dimension = serializers.CharField(source="indicator.dimension.name")
        indicator = serializers.CharField(source="indicator.code")
        name = serializers.CharField(source="indicator.name")
        source = serializers.CharField(source="indicator.source")  # type: ignore[assignment]  # the API's field name shadows Field.source
        formula = serializers.CharField(source="indicator.formula")
        weight = serializers.DecimalField(source="indicator.weight", max_digits=5, decimal_places=2)
        value = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
        score = serializers.DecimalField(max_digits=6, decimal_places=2)
        source_count = serializers.IntegerField()
        why = serializers.SerializerMethodField()

        def get_why(self, line: IndicatorScore) -> str:
            return scoring.explain(line)

    class OutputSerializer(serializers.Serializer):
        month = serializers.DateField(source="run.month", format="%Y-%m")
        status = serializers.CharField(source="run.status")
        total = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)  # null: no data
        ranked = serializers.BooleanField()
        not_ranked_reason = serializers.CharField()
        rank = serializers.IntegerField(allow_null=True)
        is_star = serializers.BooleanField()
        evaluation_count = serializers.IntegerField()
        lines = serializers.SerializerMethodField()

        def get_lines(self, score: StaffMonthScore) -> list[dict]:
            lines = ScoreMeApi.LineSerializer(sel.score_breakdown(score), many=True)
            # many=True builds a ListSerializer, whose data is a list; the stubs type the call as one Serializer.
            return cast(list[dict], lines.data)

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM; default: the latest published month")],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        scores = sel.my_score_list(user=signed_in_user(request.user))
        if request.query_params.get("month"):
            scores = scores.filter(run__month=sel.parse_month(request.query_params["month"]))
        score = scores.first()
        if score is None:
            raise Http404
        return Response(self.OutputSerializer(score).data)


class ScoreAppealCreateApi(APIView):
    """POST /api/v1/staff/score-appeals/ — once per month."""

    class InputSerializer(serializers.Serializer):
        month = serializers.RegexField(r"^\d{4}-\d{2}$")
        reason = serializers.CharField(max_length=2000)
        indicator_code = serializers.CharField(
            max_length=30,
            help_text="The indicator appealed (required: an appeal is upheld by correcting one indicator)",
        )

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        month = serializers.DateField(format="%Y-%m")
        status = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses={201: OutputSerializer, 400: ErrorSerializer, 409: ErrorSerializer}
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = scoring.score_appeal_file(
            staff=signed_in_user(request.user),
            month=sel.parse_month(data.validated_data["month"]),
            reason=data.validated_data["reason"],
            indicator_code=data.validated_data["indicator_code"],
        )
        return Response(self.OutputSerializer(appeal).data, status=status.HTTP_201_CREATED)


class RunOutputSerializer(serializers.Serializer):
    centre = serializers.CharField(source="centre.code")
    month = serializers.DateField(format="%Y-%m")
    status = serializers.CharField()
    staff_count = serializers.IntegerField()
    ranked_count = serializers.IntegerField()
    computed_at = serializers.DateTimeField(allow_null=True)


class ScoringRunRequestApi(APIView):
    """POST /api/v1/staff/scoring-runs/{centre}/{month}/ — queue a (re-)computation; GET — its progress state."""

    @extend_schema(responses=RunOutputSerializer)
    def get(self, request: Request, centre_code: str, month: str) -> Response:
        centre = sel.managed_centre(user=signed_in_user(request.user), code=centre_code)
        run = sel.run_get_for(user=signed_in_user(request.user), centre=centre, month=sel.parse_month(month))
        if run is None:
            raise Http404
        return Response(RunOutputSerializer(run).data)

    @extend_schema(request=None, responses={202: RunOutputSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request: Request, centre_code: str, month: str) -> Response:
        centre = sel.managed_centre(user=signed_in_user(request.user), code=centre_code)
        run = scoring.scoring_run_request(
            centre=centre, month=sel.parse_month(month), actor=signed_in_user(request.user)
        )
        return Response(RunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class ScoringRunLockApi(APIView):
    """POST /api/v1/staff/scoring-runs/{centre}/{month}/lock/ — leaders only; repeated calls are no-ops."""

    @extend_schema(request=None, responses={200: RunOutputSerializer, 409: ErrorSerializer})
    def post(self, request: Request, centre_code: str, month: str) -> Response:
        centre = sel.managed_centre(user=signed_in_user(request.user), code=centre_code)
        run: ScoringRun | None = sel.run_get_for(
            user=signed_in_user(request.user), centre=centre, month=sel.parse_month(month)
        )
        if run is None:
            raise Http404
        run = scoring.scoring_run_lock(run_id=run.id, actor=signed_in_user(request.user))
        return Response(RunOutputSerializer(run).data)


api_urlpatterns: list[URLPattern] = [
    path("staff/scores/me/", ScoreMeApi.as_view(), name="staff-score-me"),
    path("staff/score-appeals/", ScoreAppealCreateApi.as_view(), name="staff-score-appeal-create"),
    path("staff/scoring-runs/<str:centre_code>/<str:month>/", ScoringRunRequestApi.as_view(), name="staff-scoring-run"),
    path(
        "staff/scoring-runs/<str:centre_code>/<str:month>/lock/",
        ScoringRunLockApi.as_view(),
        name="staff-scoring-run-lock",
    ),
]
