"""The notifications API: delivery receipts from the HTTP SMS gateway, the outbox and notices for staff.

Receipts:

POST /api/v1/notifications/sms/receipts/ with
    Authorization: Bearer <SMS_RECEIPT_TOKEN>
    [{"provider_message_id": "...", "delivered": true, "code": "DELIVRD"}, ...]
The gateway is not a member of staff, so it authenticates with a shared
token; with no token configured the endpoint refuses everything (fail closed).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govservice import access
from govservice.exceptions import NotFound, NotPermitted
from staff.http import AuthenticatedRequest

from . import selectors, services
from .models import SmsMessage


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
        expected = settings.SMS_RECEIPT_TOKEN
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise NotPermitted()
        # what `many=True` calls; called by name because the stubs' Serializer() does not take the list's max_length
        serializer = self.InputSerializer.many_init(data=request.data, max_length=1000)
        serializer.is_valid(raise_exception=True)
        receipts = [services.Receipt(**item) for item in serializer.validated_data]
        counts = services.sms_receipts_apply(receipts=receipts)
        return Response(self.OutputSerializer(counts).data)


class SmsListApi(APIView):
    """The outbox of the caller's centre (leaders and admins), newest first; `?status=failed` filters."""

    # Its list answer is {count, next, previous, results}; drf-spectacular reads this to say so in the schema.
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=SmsMessage.Status.choices, required=False)

    @extend_schema_serializer(component_name="SmsMessageOut")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        key = serializers.CharField()
        phone = serializers.CharField(source="masked_phone")
        centre = serializers.CharField(source="centre.code", default=None)
        template_code = serializers.CharField()
        template_version = serializers.IntegerField(allow_null=True)
        status = serializers.CharField()
        send_after = serializers.DateTimeField()
        sent_at = serializers.DateTimeField(allow_null=True)
        delivered_at = serializers.DateTimeField(allow_null=True)
        attempts = serializers.IntegerField()
        retries = serializers.IntegerField()
        possible_duplicates = serializers.IntegerField()
        provider_message_id = serializers.CharField()
        last_error = serializers.CharField()

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        if not access.can_see_outbox(request.user):
            raise NotPermitted()
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.sms_list_for(user=request.user, status=filters.validated_data.get("status", ""))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class NoticeListApi(APIView):
    """The caller's own notices, newest first; `?unread=true` for the unread ones."""

    # Its list answer is {count, next, previous, results}; drf-spectacular reads this to say so in the schema.
    pagination_class = PageNumberPagination

    @extend_schema_serializer(component_name="NoticeOut")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        text = serializers.CharField(source="shown")
        url = serializers.CharField()
        created_at = serializers.DateTimeField()
        read_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(parameters=[OpenApiParameter("unread", bool, required=False)], responses=OutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        unread_only = request.query_params.get("unread", "").lower() in {"1", "true", "yes"}
        queryset = selectors.notice_list_for(user=request.user, unread_only=unread_only)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class NoticeReadApi(APIView):
    """Mark one of the caller's notices read (repeating it changes nothing)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: AuthenticatedRequest, id: int) -> Response:  # noqa: A002
        if not selectors.notice_list_for(user=request.user).filter(id=id).exists():
            raise NotFound()
        services.notice_mark_read(user=request.user, notice_id=id)
        return Response(status=204)
