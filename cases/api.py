"""Staff API for cases: list / detail / create / transitions / materials received / hand-over.

Personal data is masked in every output (govservice.masking); full values are
only on the logged HTML reveal path.
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from govservice.exceptions import ValidationFailed
from govservice.masking import mask_id_number, mask_name, mask_phone
from staff.http import AuthenticatedRequest

from . import selectors, services
from .models import Case, CaseMaterial, Commitment, Handover, RejectReason


class CaseMaterialOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_core = serializers.BooleanField()
    state = serializers.CharField()


class CaseOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    tracking_no = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    matter_type = serializers.CharField(source="matter_type.name")
    matter_code = serializers.CharField(source="matter_type.code")
    applicant_kind = serializers.CharField()
    applicant_name = serializers.SerializerMethodField()
    applicant_phone = serializers.SerializerMethodField()
    applicant_id_number = serializers.SerializerMethodField()
    special_groups = serializers.ListField(child=serializers.CharField())
    handler = serializers.CharField(source="handler.username")
    first_responder = serializers.CharField(source="first_responder.username")
    accepted_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    correction_deadline = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_applicant_name(self, case: Case) -> str:
        return mask_name(case.applicant_name)

    def get_applicant_phone(self, case: Case) -> str:
        return mask_phone(case.applicant_phone)

    def get_applicant_id_number(self, case: Case) -> str:
        return mask_id_number(case.applicant_id_number)

    def get_correction_deadline(self, case: Case) -> str | None:
        commitment = getattr(case, "commitment", None) if hasattr(case, "commitment") else None
        return commitment.deadline.isoformat() if commitment else None


class CaseDetailOutputSerializer(CaseOutputSerializer):
    """The detail's shape, as the OpenAPI schema documents it. Responses are written by
    `case_detail_output`, which tests/cases pin equal to this serializer's output."""

    class EventOutput(serializers.Serializer):
        created_at = serializers.DateTimeField()
        kind = serializers.CharField()
        old_status = serializers.CharField()
        new_status = serializers.CharField()
        clock = serializers.CharField()
        actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
        note = serializers.CharField()

    class ClockOutput(serializers.Serializer):
        state = serializers.CharField()
        promised_days = serializers.IntegerField()
        elapsed_days = serializers.IntegerField()
        percent = serializers.IntegerField()
        due_date = serializers.DateField(allow_null=True)
        pause_reason = serializers.CharField()
        provisional = serializers.BooleanField()

    materials = CaseMaterialOutput(many=True, source="materials.all")
    events = EventOutput(many=True, source="events.all")
    clock = serializers.SerializerMethodField()

    @extend_schema(responses=ClockOutput)
    def get_clock(self, case: Case) -> dict:
        return self.ClockOutput(services.case_clock(case=case)).data


# DRF's own formats (ISO 8601 in the current time zone), used as plain functions.
_datetime = serializers.DateTimeField().to_representation
_date = serializers.DateField().to_representation


# Kept (docs/private-api.md): a serializer's output built by hand, for the "case detail GET" figure of
# docs/benchmarks.md; tests/cases pins it equal to CaseDetailOutputSerializer, which stays the schema.
def case_detail_output(detail: selectors.CaseDetail) -> dict:
    """`CaseDetailOutputSerializer`'s output, written out. A serializer instance deep-copies and binds
    its ~40 declared fields on every response; on the most-read endpoint that was as much CPU as
    reading the case (bench: case detail GET against a bare Django view)."""
    case, clock = detail.case, detail.clock()
    return {
        "public_id": str(case.public_id),
        "tracking_no": case.tracking_no,
        "status": case.status,
        "status_label": str(Case.Status(case.status).label),
        "matter_type": case.matter_type.name,
        "matter_code": case.matter_type.code,
        "applicant_kind": case.applicant_kind,
        "applicant_name": mask_name(case.applicant_name),
        "applicant_phone": mask_phone(case.applicant_phone),
        "applicant_id_number": mask_id_number(case.applicant_id_number),
        "special_groups": case.special_groups,
        "handler": case.handler.username,
        "first_responder": case.first_responder.username,
        "accepted_at": _datetime(case.accepted_at) if case.accepted_at else None,
        "due_date": _date(case.due_date) if case.due_date else None,
        "completed_at": _datetime(case.completed_at) if case.completed_at else None,
        "correction_deadline": _date(case.correction_deadline) if case.correction_deadline else None,
        "created_at": _datetime(case.created_at),
        "materials": [{"id": m.id, "name": m.name, "is_core": m.is_core, "state": m.state} for m in detail.materials],
        "events": [
            {
                "created_at": _datetime(e.created_at),
                "kind": e.kind,
                "old_status": e.old_status,
                "new_status": e.new_status,
                "clock": e.clock,
                "actor": e.actor.username if e.actor else None,
                "note": e.note,
            }
            for e in detail.events
        ],
        "clock": {
            "state": clock.state,
            "promised_days": clock.promised_days,
            "elapsed_days": clock.elapsed_days,
            "percent": clock.percent,
            "due_date": _date(clock.due_date) if clock.due_date else None,
            "pause_reason": clock.pause_reason,
            "provisional": clock.provisional,
        },
    }


class CaseCollectionApi(APIView):
    """GET: cases in scope (role=handler|first, status, q, overdue=1), overdue first. POST: log a case."""

    # Its list answer is {count, next, previous, results}; drf-spectacular reads this to say so in the schema.
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=["", "handler", "first"], required=False, default="")
        status = serializers.CharField(required=False, default="")
        q = serializers.CharField(required=False, default="")
        overdue = serializers.BooleanField(required=False, default=False)

    class InputSerializer(serializers.Serializer):
        matter_type = serializers.IntegerField()
        applicant_kind = serializers.ChoiceField(choices=Case.ApplicantKind.choices)
        applicant_name = serializers.CharField(max_length=100)
        applicant_phone = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)
        applicant_id_number = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)
        is_elderly = serializers.BooleanField(required=False, default=False)
        is_disabled = serializers.BooleanField(required=False, default=False)
        is_other_special = serializers.BooleanField(required=False, default=False)
        provided_materials = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)

    @extend_schema(parameters=[FilterSerializer], responses=CaseOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.case_list_for(user=request.user, **filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(CaseOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CaseOutputSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        case = services.case_create(
            actor=request.user,
            matter_type_id=values.pop("matter_type"),
            provided_material_ids=values.pop("provided_materials"),
            **values,
        )
        return Response(CaseOutputSerializer(case).data, status=201)


class CaseDetailApi(APIView):
    @extend_schema(responses=CaseDetailOutputSerializer)
    def get(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        detail = selectors.case_detail_for(user=request.user, public_id=public_id)
        return Response(case_detail_output(detail))


class CaseTransitionApi(APIView):
    """Move a case. `to=accepted_deficient` takes `deferred_materials` (case material ids) and `submit_method`."""

    class InputSerializer(serializers.Serializer):
        to = serializers.ChoiceField(choices=Case.Status.choices)
        note = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)
        reason = serializers.ChoiceField(choices=RejectReason.choices, required=False, default="")
        referred_to = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
        deferred_materials = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
        submit_method = serializers.ChoiceField(
            choices=Commitment.SubmitMethod.choices, required=False, default=Commitment.SubmitMethod.WINDOW
        )
        correction_days = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)

    @extend_schema(request=InputSerializer, responses=CaseDetailOutputSerializer)
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        case = selectors.case_get_for(user=request.user, public_id=public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with transaction.atomic():
            if values["to"] == Case.Status.ACCEPTED_DEFICIENT:
                services.case_accept_with_deficiencies(
                    case_id=case.id,
                    actor=request.user,
                    deferred_material_ids=values["deferred_materials"],
                    submit_method=values["submit_method"],
                    correction_days=values["correction_days"],
                )
            else:
                services.case_transition(
                    case_id=case.id,
                    to=values["to"],
                    actor=request.user,
                    note=values["note"],
                    reason=values["reason"],
                    referred_to=values["referred_to"],
                )
        detail = selectors.case_detail_for(user=request.user, public_id=public_id)
        return Response(case_detail_output(detail))


class CaseMaterialReceivedApi(APIView):
    @extend_schema(request=None, responses=CaseDetailOutputSerializer)
    def post(self, request: AuthenticatedRequest, public_id: UUID, material_id: int) -> Response:
        case = selectors.case_get_for(user=request.user, public_id=public_id)
        if not CaseMaterial.objects.filter(id=material_id, case=case).exists():
            raise ValidationFailed(field="material")
        services.case_material_receive(case_id=case.id, case_material_id=material_id, actor=request.user)
        detail = selectors.case_detail_for(user=request.user, public_id=public_id)
        return Response(case_detail_output(detail))


class HandoverOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_user = serializers.CharField(source="from_user.username")
    to_user = serializers.CharField(source="to_user.username")
    reason = serializers.CharField()
    state = serializers.CharField()
    response_reason = serializers.CharField()
    offered_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class CaseHandoverOfferApi(APIView):
    class InputSerializer(serializers.Serializer):
        to_user = serializers.IntegerField()
        reason = serializers.CharField(max_length=300)

    @extend_schema(responses=HandoverOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        case = selectors.case_get_for(user=request.user, public_id=public_id)
        return Response(HandoverOutputSerializer(case.handovers.select_related("from_user", "to_user"), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: HandoverOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        case = selectors.case_get_for(user=request.user, public_id=public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handover = services.case_handover_offer(
            case_id=case.id,
            actor=request.user,
            to_user_id=data.validated_data["to_user"],
            reason=data.validated_data["reason"],
        )
        return Response(HandoverOutputSerializer(handover).data, status=201)


class CaseHandoverRespondApi(APIView):
    class InputSerializer(serializers.Serializer):
        accept = serializers.BooleanField()
        reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=300)

    @extend_schema(request=InputSerializer, responses=HandoverOutputSerializer)
    def post(self, request: AuthenticatedRequest, public_id: UUID, handover_id: int) -> Response:
        case = selectors.case_get_for(user=request.user, public_id=public_id)
        handover = Handover.objects.filter(id=handover_id, case=case).first()
        if handover is None:
            raise Http404
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handover = services.case_handover_respond(handover_id=handover.id, actor=request.user, **data.validated_data)
        return Response(HandoverOutputSerializer(handover).data)
