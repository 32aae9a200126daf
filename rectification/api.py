"""JSON API of the ledger: validate → service/selector → serialize."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govservice.input_guard import GuardedFormParser, GuardedJSONParser, GuardedMultiPartParser
from staff.http import AuthenticatedRequest

from . import services
from .models import Problem, ProgressUpdate
from .selectors import (
    LedgerFilters,
    LedgerProblem,
    measure_get_for,
    measure_list_for_problem,
    problem_get_for,
    problem_list_for,
)


class ProblemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    centre = serializers.CharField(source="centre.code")
    code = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField(source="get_category_display")
    title = serializers.CharField()
    description = serializers.CharField()
    # The API's key "source"; DRF's metaclass moves declared fields off the class, so Field.source is untouched.
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source, see above
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    responsible_leader = serializers.CharField(source="responsible_leader.name")
    responsible_department = serializers.CharField(source="responsible_department.name", default="")
    responsible_person = serializers.CharField(source="responsible_person.name")
    progress = serializers.SerializerMethodField()
    deadline = serializers.DateField(allow_null=True)
    overdue_measures = serializers.IntegerField()
    evidence_records = serializers.SerializerMethodField()
    closed_at = serializers.DateTimeField(allow_null=True)
    recheck_on = serializers.DateField(allow_null=True)
    possible_recurrence = serializers.SerializerMethodField()

    def get_progress(self, obj: LedgerProblem) -> int:
        return round(obj.progress_pct or 0)

    def get_evidence_records(self, obj: LedgerProblem) -> int:
        return obj.complaint_count + obj.review_count

    def get_possible_recurrence(self, obj: LedgerProblem) -> bool:
        return obj.recurrence_flagged_at is not None


_LEDGER_FILTERS = [
    OpenApiParameter(name, str, description=description)
    for name, description in [
        ("q", "text in the code, title or description"),
        ("category", "problem category"),
        ("status", "problem status"),
        ("department", "responsible department id"),
        ("overdue", "1: only problems with an overdue measure"),
        ("centre", "centre code (city-wide roles)"),
    ]
]


class ProblemListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="ledger_problems_list",
        parameters=_LEDGER_FILTERS,
        responses=inline_serializer("ProblemListOutput", {"results": ProblemOutput(many=True)}),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = LedgerFilters.from_query(request.query_params)
        problems = problem_list_for(user=request.user, filters=filters)[:500]
        return Response({"results": ProblemOutput(problems, many=True).data})


class MeasureOutput(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.name")
    owner_department = serializers.CharField(source="owner_department.name", default="")
    deadline = serializers.DateField()
    deadline_provisional = serializers.BooleanField()
    weight = serializers.IntegerField()
    progress = serializers.IntegerField()
    milestones = serializers.JSONField()
    completed_at = serializers.DateTimeField(allow_null=True)


class ProblemDetailOutput(ProblemOutput):
    """The problem with its measures (read through the scoped selector, not the relation)."""

    measures = MeasureOutput(many=True, read_only=True, source="scoped_measures")


class ProblemDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="ledger_problems_retrieve", responses=ProblemDetailOutput)
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        problem = problem_get_for(user=request.user, problem_id=pk)
        problem.scoped_measures = measure_list_for_problem(problem)  # type: ignore[attr-defined]  # read by ProblemDetailOutput.measures
        return Response(ProblemDetailOutput(problem).data)


class ProblemTransitionApi(APIView):
    """POST {"to": "...", "note": "..."} (multipart for evidence files under "files")."""

    permission_classes = [IsAuthenticated]
    parser_classes = [GuardedJSONParser, GuardedMultiPartParser, GuardedFormParser]

    class InputSerializer(serializers.Serializer):
        to = serializers.ChoiceField(choices=Problem.Status.choices)
        note = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=ProblemOutput)
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem_get_for(user=request.user, problem_id=pk)  # out of scope → 404
        services.problem_transition(
            problem_id=pk,
            actor=request.user,
            files=request.FILES.getlist("files") if hasattr(request, "FILES") else [],
            **data.validated_data,
        )
        return Response(ProblemOutput(problem_get_for(user=request.user, problem_id=pk)).data)


class ProgressUpdateCreateApi(APIView):
    """POST {"text": "...", "percentage": 60} (multipart for evidence files under "files")."""

    permission_classes = [IsAuthenticated]
    parser_classes = [GuardedJSONParser, GuardedMultiPartParser, GuardedFormParser]

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField()
        percentage = serializers.IntegerField(min_value=0, max_value=100)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        measure = serializers.IntegerField(source="measure_id")
        text = serializers.CharField()
        percentage = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        files = serializers.SerializerMethodField()

        def get_files(self, obj: ProgressUpdate) -> list[dict]:
            return [
                {"name": f.original_name, "sha256": f.sha256, "size": f.size, "uploaded_at": f.uploaded_at}
                for f in obj.files.all()
            ]

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        measure = measure_get_for(user=request.user, measure_id=pk)
        update = services.progress_update_add(
            measure_id=measure.id, actor=request.user, files=request.FILES.getlist("files"), **data.validated_data
        )
        return Response(self.OutputSerializer(update).data, status=201)
