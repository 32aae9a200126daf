"""The notifications API: delivery receipts from the HTTP SMS gateway, the outbox and notices for staff.

Receipts:

POST /api/v1/notifications/sms/receipts/ with
    Authorization: Bearer <SMS_RECEIPT_TOKEN>
    [{"provider_message_id": "...", "delivered": true, "code": "DELIVRD"}, ...]
The gateway is not a member of staff, so it authenticates with a shared
token; with no token configured the endpoint refuses everything (fail closed).

The real providers' own delivery pushes, in their own formats:

POST /api/v1/notifications/sms/aliyun/reports/<SMS_ALIYUN_REPORT_TOKEN>/   (Aliyun SmsReport, HTTP batch push)
    [{"phone_number": "1381111****", "success": true, "err_code": "DELIVERED", "biz_id": "...", "out_id": "42-1",
      "send_time": "...", "report_time": "...", "err_msg": "...", "sms_size": "1"}, ...]
    → {"code": 0, "msg": "接收成功", ...counts}
POST /api/v1/notifications/sms/tencent/status/<SMS_TENCENT_CALLBACK_TOKEN>/  (Tencent status callback)
    [{"sid": "...", "report_status": "SUCCESS", "errmsg": "DELIVRD", "mobile": "139...", "nationcode": "86",
      "user_receive_time": "...", "description": "..."}, ...]
    → {"result": 0, "errmsg": "OK", ...counts}
Neither provider signs these pushes (their documentation describes none), so the URL entered in the
provider's console carries a per-deployment secret, compared in constant time; an empty setting refuses
everything. Each report must also match its message: the provider's id (BizId / SerialNo), and the out_id
(Aliyun) or the number (both) that the provider echoes. A batch with a report for no known message gets a
404 with how many were ignored (the provider retries; the known ones were applied, and applying them again
changes nothing); every ignored report is logged, without the number.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
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

logger = logging.getLogger(__name__)


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


def _check_callback_token(*, given: str, setting: str, provider: str) -> None:
    """The provider's push is ours only with the deployment's secret in its URL (empty setting: refuse all)."""
    expected = str(getattr(settings, setting, "") or "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        logger.warning(
            "%s delivery report refused: %s", provider, "no token configured" if not expected else "bad token"
        )
        raise NotPermitted(_("回执地址中的令牌不正确。"))


def _apply_reports(receipts: list[services.Receipt], *, provider: str) -> dict[str, int]:
    counts = services.sms_receipts_apply(receipts=receipts, source=provider)
    ignored = counts["unknown"] + counts["mismatched"]
    if ignored:
        raise NotFound(
            _("%(n)d 条回执找不到对应的短信（或号码、编号与短信不符），这些回执未做任何更改。") % {"n": ignored}
        )
    return counts


class ProviderReportCounts(serializers.Serializer):
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class AliyunSmsReportApi(APIView):
    """Aliyun's SmsReport push (HTTP batch push mode): each report turns a SENT message DELIVERED or FAILED."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema_serializer(component_name="AliyunSmsReportInput")
    class InputSerializer(serializers.Serializer):
        biz_id = serializers.CharField(max_length=100)
        success = serializers.BooleanField()
        err_code = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
        out_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        phone_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")

    @extend_schema_serializer(component_name="AliyunSmsReportResult")
    class OutputSerializer(ProviderReportCounts):
        code = serializers.IntegerField()
        msg = serializers.CharField()

    @extend_schema(request=InputSerializer(many=True), responses=OutputSerializer, auth=[])
    def post(self, request: Request, token: str) -> Response:
        _check_callback_token(given=token, setting="SMS_ALIYUN_REPORT_TOKEN", provider="aliyun")
        serializer = self.InputSerializer.many_init(data=request.data, max_length=1000)
        serializer.is_valid(raise_exception=True)
        receipts = [
            services.Receipt(
                provider_message_id=item["biz_id"],
                delivered=item["success"],
                code=item["err_code"],
                out_id=item["out_id"],
                phone=item["phone_number"],
            )
            for item in serializer.validated_data
        ]
        counts = _apply_reports(receipts, provider="aliyun")
        # The answer Aliyun's documentation asks for: code 0 means "received", anything else is retried.
        body: dict[str, Any] = {"code": 0, "msg": "接收成功", **counts}
        return Response(self.OutputSerializer(body).data)


class TencentSmsStatusApi(APIView):
    """Tencent Cloud's SMS status callback: each report turns a SENT message DELIVERED or FAILED."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema_serializer(component_name="TencentSmsStatusInput")
    class InputSerializer(serializers.Serializer):
        sid = serializers.CharField(max_length=100)
        report_status = serializers.ChoiceField(choices=["SUCCESS", "FAIL"])
        errmsg = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
        mobile = serializers.CharField(max_length=30)
        nationcode = serializers.CharField(max_length=8, required=False, allow_blank=True, default="86")

    @extend_schema_serializer(component_name="TencentSmsStatusResult")
    class OutputSerializer(ProviderReportCounts):
        result = serializers.IntegerField()
        errmsg = serializers.CharField()

    @extend_schema(request=InputSerializer(many=True), responses=OutputSerializer, auth=[])
    def post(self, request: Request, token: str) -> Response:
        _check_callback_token(given=token, setting="SMS_TENCENT_CALLBACK_TOKEN", provider="tencent")
        serializer = self.InputSerializer.many_init(data=request.data, max_length=1000)
        serializer.is_valid(raise_exception=True)
        receipts = [
            services.Receipt(
                provider_message_id=item["sid"],
                delivered=item["report_status"] == "SUCCESS",
                code=item["errmsg"],
                # The number must be the one the SerialNo was sent to: a mainland message only matches +86.
                phone=f"+{(item['nationcode'] or '86').lstrip('+')}{item['mobile']}",
            )
            for item in serializer.validated_data
        ]
        counts = _apply_reports(receipts, provider="tencent")
        body: dict[str, Any] = {"result": 0, "errmsg": "OK", **counts}
        return Response(self.OutputSerializer(body).data)


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
