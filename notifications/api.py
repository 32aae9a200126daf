"""Delivery receipts from the HTTP SMS gateway.

POST /api/v1/notifications/sms/receipts/ with
    Authorization: Bearer <SMS_RECEIPT_TOKEN>
    [{"provider_message_id": "...", "delivered": true, "code": "DELIVRD"}, ...]
The gateway is not a member of staff, so it authenticates with a shared
token; with no token configured the endpoint refuses everything (fail closed).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govservice.exceptions import NotPermitted

from . import services


class SmsReceiptsApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema_serializer(component_name="SmsReceiptInput")
    class InputSerializer(serializers.Serializer):
        provider_message_id = serializers.CharField(max_length=100)
        delivered = serializers.BooleanField()
        code = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")

    @extend_schema_serializer(component_name="SmsReceiptsResult")
    class OutputSerializer(serializers.Serializer):
        updated = serializers.IntegerField()
        unchanged = serializers.IntegerField()
        unknown = serializers.IntegerField()

    @extend_schema(request=InputSerializer(many=True), responses=OutputSerializer, auth=[])
    def post(self, request: Request) -> Response:
        expected = getattr(settings, "SMS_RECEIPT_TOKEN", "")
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise NotPermitted()
        serializer = self.InputSerializer(data=request.data, many=True, max_length=1000)
        serializer.is_valid(raise_exception=True)
        receipts = [services.Receipt(**item) for item in serializer.validated_data]
        counts = services.sms_receipts_apply(receipts=receipts)
        return Response(self.OutputSerializer(counts).data)
