"""The signed push endpoints of a 12345 hotline platform: work orders and their callback results.

    POST /api/v1/intake/work-orders/                      an order (201 new, 200 the same order again)
    POST /api/v1/intake/work-orders/{order_no}/callbacks/ the callback result of an answered order

Signed per platform (intake/work_orders.py); no channel key.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.models import Complaint, WorkOrder

from .api import ERROR_SHAPE, PhoneField
from .models import HotlinePlatform
from .strict import StrictJSONParser, StrictSerializer, max_body_bytes, refuse_oversized
from .work_orders import (
    PLATFORM_HEADER,
    TIMESTAMP_HEADER,
    HotlineSignatureAuthentication,
    IsHotlinePlatform,
    work_order_callback_receive,
    work_order_receive,
)

SIGNED_HEADERS = [
    OpenApiParameter(PLATFORM_HEADER, str, OpenApiParameter.HEADER, required=True, description="Platform code"),
    OpenApiParameter(
        TIMESTAMP_HEADER,
        str,
        OpenApiParameter.HEADER,
        required=True,
        description="Unix seconds when signed; refused when more than 5 minutes from the server's time",
    ),
]
SIGNED_ERRORS = {
    400: OpenApiResponse(ERROR_SHAPE, description="Validation error, bad JSON or unknown field"),
    401: OpenApiResponse(
        ERROR_SHAPE,
        description=(
            "Missing signature headers, unknown platform, wrong signature, stale timestamp or a replayed "
            "signature; nothing was changed"
        ),
    ),
    413: OpenApiResponse(ERROR_SHAPE, description="Body larger than the limit"),
    415: OpenApiResponse(ERROR_SHAPE, description="Content type is not application/json"),
}


class WorkOrderOutput(serializers.Serializer):
    order_no = serializers.CharField()
    tracking_no = serializers.CharField(source="complaint.tracking_no")
    status = serializers.ChoiceField(choices=WorkOrder.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    sign_due_at = serializers.DateTimeField()
    return_due_at = serializers.DateTimeField()
    handle_due_at = serializers.DateTimeField()
    callback_result = serializers.CharField()
    rounds = serializers.IntegerField()


class HotlineApiView(APIView):
    authentication_classes = [HotlineSignatureAuthentication]
    permission_classes = [IsHotlinePlatform]
    parser_classes = [StrictJSONParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        refuse_oversized(request, max_body_bytes())
        super().initial(request, *args, **kwargs)

    def platform(self, request: Request) -> HotlinePlatform:
        assert isinstance(request.auth, HotlinePlatform)  # noqa: S101 - IsHotlinePlatform let it in
        return request.auth


class WorkOrderCreateApi(HotlineApiView):
    class InputSerializer(StrictSerializer):
        order_no = serializers.CharField(max_length=64, help_text="The hotline's order number; unique per platform")
        kind = serializers.ChoiceField(choices=Complaint.Kind.choices, required=False, default=Complaint.Kind.COMPLAINT)
        content = serializers.CharField(max_length=4000)
        contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        contact_phone = PhoneField(required=False, allow_blank=True)
        received_at = serializers.DateTimeField(
            required=False, help_text="When the hotline dispatched it; default now (the stage clocks start here)"
        )
        centre = serializers.SlugField(max_length=20, required=False, help_text="Centre code (multi-centre platforms)")
        window = serializers.CharField(max_length=20, required=False)
        staff_no = serializers.CharField(max_length=20, required=False)
        matter_type = serializers.CharField(max_length=40, required=False)

    @extend_schema(
        operation_id="intake_work_order_create",
        summary="Push a 12345 work order (工单)",
        request=InputSerializer,
        parameters=SIGNED_HEADERS,
        responses={201: WorkOrderOutput, 200: WorkOrderOutput, **SIGNED_ERRORS},
        tags=["hotline"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order, created = work_order_receive(platform=self.platform(request), data=serializer.validated_data)
        return Response(WorkOrderOutput(order).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class WorkOrderCallbackApi(HotlineApiView):
    class InputSerializer(StrictSerializer):
        result = serializers.ChoiceField(
            choices=WorkOrder.CallbackResult.choices,
            help_text="satisfied / basically_satisfied close the order; not_satisfied sends it back to handling",
        )
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    @extend_schema(
        operation_id="intake_work_order_callback",
        summary="Push the hotline's callback result (回访) of an answered work order",
        request=InputSerializer,
        parameters=SIGNED_HEADERS,
        responses={
            200: WorkOrderOutput,
            **SIGNED_ERRORS,
            404: OpenApiResponse(ERROR_SHAPE, description="No such order of this platform; nothing was changed"),
            409: OpenApiResponse(ERROR_SHAPE, description="The order is not waiting for a callback"),
        },
        tags=["hotline"],
    )
    def post(self, request: Request, order_no: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = work_order_callback_receive(
            platform=self.platform(request),
            order_no=order_no,
            result=serializer.validated_data["result"],
            note=serializer.validated_data.get("note") or "",
            path=request.path,
        )
        return Response(WorkOrderOutput(order).data)
