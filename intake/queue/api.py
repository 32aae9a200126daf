"""`POST /api/v1/queue/events/`: a queue device's batch of events, answered event by event."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api import ERROR_SHAPE
from ..strict import StrictJSONParser, StrictSerializer, max_body_bytes, refuse_oversized
from .auth import HasQueueDevice, QueueDeviceAuthentication, QueueDeviceThrottle, device_of
from .inputs import MAX_EVENTS_PER_BATCH, QueueEventInput
from .services import queue_events_ingest


class QueueEventResult(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the event in the batch, from 0")
    status = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    ticket = serializers.CharField()
    out_of_order = serializers.BooleanField(
        help_text="Stored, but does not fit the ticket's other events in time order (e.g. called after ended)"
    )
    errors = serializers.DictField(  # type: ignore[assignment]  # the field named `errors`, as in the whole API's error shape
        child=serializers.ListField(child=serializers.CharField()),
        help_text="rejected only: field → messages, in the request's language",
    )


class QueueEventBatchApi(APIView):
    authentication_classes = [QueueDeviceAuthentication]
    permission_classes = [HasQueueDevice]
    throttle_classes = [QueueDeviceThrottle]
    parser_classes = [StrictJSONParser]

    class InputSerializer(StrictSerializer):
        # Each event is checked on its own by the service (a bad one must not refuse the batch), so the
        # list's items are taken as they come here; QueueEventInput documents them in the schema.
        events = serializers.ListField(min_length=1, max_length=MAX_EVENTS_PER_BATCH, allow_empty=False)

    class SchemaInputSerializer(serializers.Serializer):
        events = QueueEventInput(many=True)

    class SchemaOutputSerializer(serializers.Serializer):
        created = serializers.IntegerField()
        duplicates = serializers.IntegerField()
        rejected = serializers.IntegerField()
        results = QueueEventResult(many=True)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        refuse_oversized(request, max_body_bytes())
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="queue_events_create",
        summary="Report a batch of queue events (排队叫号)",
        description=(
            "A queue device reports what happened to tickets: `taken`, `called`, `started`, `ended`, `no_show`, "
            "`transferred`. Batches may be late or sent twice (a device that was offline): an event is identified "
            "by device + ticket (its number on the day of `occurred_at`) + kind + `occurred_at`, and stored once. "
            "Events are ordered by `occurred_at`, not by arrival; an event that does not fit the ticket's other "
            "events (a `called` after `ended`) is stored with `out_of_order: true`. The answer is **200 with one "
            "result per event**, in the batch's order: `created`, `duplicate` (already stored, nothing changed) or "
            "`rejected` with `errors` in the request's language (Accept-Language); the good events of a batch are "
            "kept whatever the others are. A request that is not a batch at all (bad JSON, no `events`, more than "
            f"{MAX_EVENTS_PER_BATCH} events) is a 400 and stores nothing."
        ),
        request=SchemaInputSerializer,
        responses={
            200: OpenApiResponse(
                SchemaOutputSerializer,
                description="Per-event results",
                examples=[
                    OpenApiExample(
                        "A duplicate, a late event and a bad one",
                        value={
                            "created": 2,
                            "duplicates": 1,
                            "rejected": 1,
                            "results": [
                                {
                                    "index": 0,
                                    "status": "created",
                                    "ticket": "A023",
                                    "out_of_order": False,
                                    "errors": {},
                                },
                                {
                                    "index": 1,
                                    "status": "duplicate",
                                    "ticket": "A023",
                                    "out_of_order": False,
                                    "errors": {},
                                },
                                {"index": 2, "status": "created", "ticket": "A023", "out_of_order": True, "errors": {}},
                                {
                                    "index": 3,
                                    "status": "rejected",
                                    "ticket": "A024",
                                    "out_of_order": False,
                                    "errors": {"window": ["No such window in this centre."]},
                                },
                            ],
                        },
                    )
                ],
            ),
            400: OpenApiResponse(ERROR_SHAPE, description="Not a batch: bad JSON, no events, too many events"),
            403: OpenApiResponse(ERROR_SHAPE, description="Missing, invalid or revoked device key"),
            413: OpenApiResponse(ERROR_SHAPE, description="Body larger than the limit"),
            415: OpenApiResponse(ERROR_SHAPE, description="Content type is not application/json"),
            429: OpenApiResponse(ERROR_SHAPE, description="Throttled; see Retry-After"),
        },
        tags=["queue"],
    )
    def post(self, request: Request) -> Response:
        device = device_of(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = queue_events_ingest(device=device, items=serializer.validated_data["events"])
        body = {
            "created": sum(r.status == "created" for r in results),
            "duplicates": sum(r.status == "duplicate" for r in results),
            "rejected": sum(r.status == "rejected" for r in results),
            "results": [
                {
                    "index": r.index,
                    "status": r.status,
                    "ticket": r.ticket,
                    "out_of_order": r.out_of_order,
                    "errors": r.errors,
                }
                for r in results
            ],
        }
        return Response(body)
