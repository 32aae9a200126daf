"""The channel REST API: POST evaluations and complaints, the update feed, the public status look-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.models import Complaint, Evaluation
from govservice import outbound
from govservice.exceptions import NotFound
from govservice.numbers import normalize_phone

from .auth import LookupThrottle, channel_of
from .idempotency import idempotency_key_from, run_idempotent
from .models import WebhookDelivery, WebhookSubscription
from .selectors import FEED_PAGE_SIZE, feed_list_for, public_status
from .services import (
    evaluation_status,
    feed_entry_body,
    webhook_subscription_create,
    webhook_subscription_deactivate,
)
from .strict import ChannelApiView, StrictSerializer
from .submit import complaint_receive, evaluation_receive

ERROR_SHAPE = inline_serializer(
    name="IntakeError",
    fields={
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False),
    },
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="A retry with the same key returns the first response and creates nothing (kept 48 h).",
)
WRITE_ERRORS = {
    400: OpenApiResponse(ERROR_SHAPE, description="Validation error, bad JSON or unknown field"),
    403: OpenApiResponse(ERROR_SHAPE, description="Missing, invalid or revoked channel key"),
    409: OpenApiResponse(ERROR_SHAPE, description="Same Idempotency-Key still in progress"),
    413: OpenApiResponse(ERROR_SHAPE, description="Body larger than the limit"),
    415: OpenApiResponse(ERROR_SHAPE, description="Content type is not application/json"),
    422: OpenApiResponse(ERROR_SHAPE, description="Same Idempotency-Key with a different body"),
    429: OpenApiResponse(ERROR_SHAPE, description="Throttled; see Retry-After"),
}
PHONE = r"^1\d{10}$"
PHONE_MESSAGE = _("须为 11 位手机号。")


class PhoneField(serializers.RegexField):
    """A mobile number in any spelling (full-width, separators, +86), checked and kept as 11 ASCII digits."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PHONE, error_messages={"invalid": PHONE_MESSAGE}, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return normalize_phone(super().to_internal_value(data))


def receive_new_record(*, request: Request, endpoint: str, handle: Callable[[bool], Response]) -> Response:
    """Run `handle(savepoint)` under the request's Idempotency-Key, first on the fast path.

    The new row is the first write of the request's own transaction, so it is inserted
    without a savepoint (two round trips fewer). When it clashes with a unique key (a
    resend of the same external id, a second rating of a case) that attempt is rolled
    back whole, having written nothing else, and the request is answered by a second
    attempt with a savepoint, which finds the first record or raises the case's Conflict.
    """
    channel = channel_of(request)
    key = idempotency_key_from(request.META)

    def attempt(savepoint: bool) -> Response:
        return run_idempotent(
            channel=channel, key=key, endpoint=endpoint, data=request.data, handler=lambda: handle(savepoint)
        )

    if transaction.get_connection().in_atomic_block:
        # Inside someone else's transaction (a test's, a caller's): a clash there must not
        # break it, so the savepoint stays.
        return attempt(True)
    try:
        return attempt(False)
    except IntegrityError:
        return attempt(True)


class _Refs(StrictSerializer):
    centre = serializers.SlugField(
        max_length=20, required=False, help_text="Centre code; required for multi-centre channels"
    )
    window = serializers.CharField(max_length=20, required=False, help_text="Window code in that centre")
    staff_no = serializers.CharField(max_length=20, required=False, help_text="Staff number in that centre")
    matter_type = serializers.CharField(max_length=40, required=False, help_text="Matter code in that centre")
    external_id = serializers.CharField(
        max_length=100, required=False, help_text="The channel's own record id; unique per channel"
    )


class EvaluationCreateApi(ChannelApiView):
    class InputSerializer(_Refs):
        level = serializers.IntegerField(min_value=1, max_value=5, help_text="5 very satisfied … 1 very dissatisfied")
        text = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        tags = serializers.ListField(child=serializers.SlugField(max_length=40), max_length=10, required=False)
        case = serializers.CharField(max_length=30, required=False, help_text="Case tracking number")
        invitation = serializers.CharField(
            max_length=64,
            required=False,
            help_text=(
                "The case's rating invitation code (the token of the citizen's SMS rating link). Needed to rate a "
                "case, except from the rating device at the counter that served it; the code works once."
            ),
        )
        is_real_name = serializers.BooleanField(required=False, default=False)
        evaluator_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        evaluator_phone = PhoneField(required=False, allow_blank=True)
        rated_at = serializers.DateTimeField(
            required=False,
            help_text=(
                "When the citizen rated; default now. Not in the future (beyond a small clock skew), not older than "
                "INTAKE_MAX_BACKDATE_DAYS, not in a month whose service-star scores are locked."
            ),
        )

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField(source="public_id")
        level = serializers.IntegerField()
        level_display = serializers.CharField(source="get_level_display")
        centre = serializers.CharField(source="centre.code")
        external_id = serializers.CharField()
        status = serializers.SerializerMethodField()
        rated_at = serializers.DateTimeField()

        def get_status(self, obj: Evaluation) -> str:
            return evaluation_status(obj)

    @extend_schema(
        operation_id="intake_evaluation_create",
        summary="Submit an evaluation (好差评)",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: OutputSerializer, 200: OutputSerializer, **WRITE_ERRORS},
        tags=["intake"],
    )
    def post(self, request: Request) -> Response:
        channel = channel_of(request)
        data = request.data

        def handle(savepoint: bool) -> Response:
            serializer = self.InputSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            evaluation, created = evaluation_receive(
                channel=channel, data=serializer.validated_data, savepoint=savepoint
            )
            return Response(
                self.OutputSerializer(evaluation).data,
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )

        return receive_new_record(request=request, endpoint="evaluations", handle=handle)


class ComplaintCreateApi(ChannelApiView):
    class InputSerializer(_Refs):
        kind = serializers.ChoiceField(choices=Complaint.Kind.choices, required=False, default=Complaint.Kind.COMPLAINT)
        content = serializers.CharField(max_length=4000)
        contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        contact_phone = PhoneField(required=False, allow_blank=True)
        received_at = serializers.DateTimeField(
            required=False,
            help_text=(
                "When the channel received it; default now. Same window as an evaluation's rated_at (not in the "
                "future, not older than INTAKE_MAX_BACKDATE_DAYS, not in a locked month)."
            ),
        )

    class OutputSerializer(serializers.Serializer):
        tracking_no = serializers.CharField()
        kind = serializers.CharField()
        status = serializers.CharField()
        status_display = serializers.CharField(source="get_status_display")
        centre = serializers.CharField(source="centre.code")
        external_id = serializers.CharField()
        received_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="intake_complaint_create",
        summary="Submit a complaint or suggestion (投诉/建议)",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: OutputSerializer, 200: OutputSerializer, **WRITE_ERRORS},
        tags=["intake"],
    )
    def post(self, request: Request) -> Response:
        channel = channel_of(request)
        data = request.data

        def handle(savepoint: bool) -> Response:
            serializer = self.InputSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            complaint, created = complaint_receive(channel=channel, data=serializer.validated_data, savepoint=savepoint)
            return Response(
                self.OutputSerializer(complaint).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
            )

        return receive_new_record(request=request, endpoint="complaints", handle=handle)


class UpdateFeedApi(ChannelApiView):
    """Status changes of what this channel submitted, for channels that cannot take webhooks."""

    class FilterSerializer(StrictSerializer):
        since = serializers.DateTimeField(required=False, help_text="ISO 8601 with timezone; default: 24 h ago")
        after = serializers.IntegerField(required=False, min_value=0, help_text="Cursor: `next_after` of the last page")

    class EntrySerializer(serializers.Serializer):
        cursor = serializers.IntegerField()
        event_id = serializers.UUIDField()
        type = serializers.CharField()
        record_kind = serializers.CharField()
        id = serializers.CharField()
        external_id = serializers.CharField(allow_null=True)
        status = serializers.CharField()
        changed_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="intake_updates_list",
        summary="Pull feed of status changes",
        parameters=[FilterSerializer],
        responses={
            200: inline_serializer(
                name="UpdateFeed",
                fields={
                    "results": EntrySerializer(many=True),
                    "next_after": serializers.IntegerField(allow_null=True),
                    "has_more": serializers.BooleanField(),
                },
            ),
            400: ERROR_SHAPE,
            403: ERROR_SHAPE,
            429: ERROR_SHAPE,
        },
        tags=["intake"],
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        entries = list(
            feed_list_for(
                channel=channel_of(request),
                since=filters.validated_data.get("since"),
                after_id=filters.validated_data.get("after"),
            )[: FEED_PAGE_SIZE + 1]
        )
        has_more = len(entries) > FEED_PAGE_SIZE
        entries = entries[:FEED_PAGE_SIZE]
        results = [{"cursor": e.id, **feed_entry_body(e)} for e in entries]
        return Response({"results": results, "next_after": entries[-1].id if entries else None, "has_more": has_more})


class WebhookListCreateApi(ChannelApiView):
    """A channel's own webhook subscriptions. The signing secret is returned once, at creation."""

    class InputSerializer(StrictSerializer):
        url = serializers.URLField(max_length=500)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        url = serializers.URLField()
        is_active = serializers.BooleanField()
        created_at = serializers.DateTimeField()

    class CreatedSerializer(OutputSerializer):
        secret = serializers.CharField(help_text="HMAC-SHA256 key for X-Govservice-Signature; shown only now")

    @extend_schema(
        operation_id="intake_webhooks_list",
        summary="List this channel's webhook subscriptions",
        responses={200: OutputSerializer(many=True), 403: ERROR_SHAPE, 429: ERROR_SHAPE},
        tags=["intake"],
    )
    def get(self, request: Request) -> Response:
        subscriptions = WebhookSubscription.objects.filter(channel=channel_of(request)).order_by("id")
        return Response(self.OutputSerializer(subscriptions, many=True).data)

    @extend_schema(
        operation_id="intake_webhooks_create",
        summary="Subscribe a URL to status changes (signed with HMAC-SHA256)",
        description=(
            "Each status change of a record this channel submitted is POSTed as JSON to the URL, after commit, "
            "retried with back-off (at most 5 minutes apart, 8 tries). Verify every delivery: the header "
            "`X-Govservice-Signature: t=<unix time>,v1=<hex>` carries HMAC-SHA256(secret, `<t>.` + raw body); "
            "reject it when the digest differs or `t` is more than 5 minutes old. `X-Govservice-Delivery` is the "
            "event id (the same on every retry, so a receiver can drop duplicates). Answer 2xx to acknowledge."
        ),
        request=InputSerializer,
        responses={201: CreatedSerializer, **WRITE_ERRORS},
        tags=["intake"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = webhook_subscription_create(channel=channel_of(request), url=serializer.validated_data["url"])
        return Response(self.CreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


class WebhookDeleteApi(ChannelApiView):
    @extend_schema(
        operation_id="intake_webhooks_delete",
        parameters=[OpenApiParameter("subscription_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        summary="Stop a webhook subscription",
        responses={204: None, 403: ERROR_SHAPE, 404: ERROR_SHAPE},
        tags=["intake"],
    )
    def delete(self, request: Request, subscription_id: str) -> Response:
        if not subscription_id.isdigit():
            raise NotFound()  # a malformed id is "no such subscription", in the one error shape
        webhook_subscription_deactivate(channel=channel_of(request), subscription_id=int(subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublicReasonField(serializers.CharField):
    """A stored generic reason (govservice.outbound), translated for the reader."""

    def to_representation(self, value: Any) -> str:
        return outbound.public_message(str(value))


class WebhookDeliveryListApi(ChannelApiView):
    """The delivery log of this channel's webhooks (latest 100)."""

    class OutputSerializer(serializers.Serializer):
        event_id = serializers.UUIDField(source="entry.event_id")
        url = serializers.URLField(source="subscription.url")
        record_id = serializers.CharField(source="entry.record_id")
        status = serializers.CharField()
        attempts = serializers.IntegerField()
        last_status_code = serializers.IntegerField(allow_null=True)
        last_error = PublicReasonField(help_text="An HTTP status, or a generic reason in the reader's language")
        next_attempt_at = serializers.DateTimeField()
        delivered_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        operation_id="intake_webhook_deliveries_list",
        summary="Webhook delivery log",
        responses={200: OutputSerializer(many=True), 403: ERROR_SHAPE, 429: ERROR_SHAPE},
        tags=["intake"],
    )
    def get(self, request: Request) -> Response:
        deliveries = WebhookDelivery.objects.filter(subscription__channel=channel_of(request)).select_related(
            "subscription", "entry"
        )[:100]
        return Response(self.OutputSerializer(deliveries, many=True).data)


class StatusLookupApi(APIView):
    """Public: a citizen looks up their complaint or suggestion by tracking number. No personal data."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [LookupThrottle]

    class OutputSerializer(serializers.Serializer):
        tracking_no = serializers.CharField()
        kind = serializers.CharField()
        kind_display = serializers.CharField()
        status = serializers.CharField()
        status_display = serializers.CharField()
        centre = serializers.CharField()
        received_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()
        expected_reply_by = serializers.DateTimeField()
        is_closed = serializers.BooleanField()

    @extend_schema(
        operation_id="intake_status_lookup",
        summary="Look up the status of feedback by tracking number",
        auth=[],
        responses={200: OutputSerializer, 404: ERROR_SHAPE, 429: ERROR_SHAPE},
        tags=["intake"],
    )
    def get(self, request: Request, tracking_no: str) -> Response:
        from .selectors import complaint_public_get

        complaint = complaint_public_get(tracking_no=tracking_no)
        if complaint is None:
            raise NotFound(gettext("未找到该编号的反馈。"))
        return Response(self.OutputSerializer(public_status(complaint)).data)


__all__ = ["ComplaintCreateApi", "EvaluationCreateApi", "StatusLookupApi", "UpdateFeedApi"]
