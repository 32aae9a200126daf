"""Bare Django views: the same database work as each benchmarked endpoint, through the ORM,
without DRF, serializers, services or history. Each figure's ratio is measured against these
in the same run (the machines are noisy). Mounted only when BENCH_BASELINE=1.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from cases.models import Case
from complaints.models import BadReview, Channel, Complaint, Evaluation, EvaluationEvent
from intake.api import EvaluationCreateApi
from intake.models import IdempotencyRecord

_channel: dict[str, int] = {}


def _channel_ids() -> tuple[int, int]:
    if not _channel:
        channel = Channel.objects.get(code="bench-hotline")
        centre_id = channel.centres.values_list("id", flat=True).first()
        if centre_id is None:
            raise RuntimeError("the bench channel serves no centre: seed the bench data first (bench/seed.py)")
        _channel.update(channel=channel.id, centre=centre_id)
    return _channel["channel"], _channel["centre"]


def _new_evaluation(data: dict, now) -> Evaluation:
    channel_id, centre_id = _channel_ids()
    return Evaluation.objects.create(
        centre_id=centre_id,
        channel_id=channel_id,
        level=int(data["level"]),
        text=data.get("text", ""),
        external_id=data.get("external_id", ""),
        rated_at=now,
    )


@csrf_exempt
def insert_evaluation(request: HttpRequest) -> HttpResponse:
    """Parse JSON and insert one evaluation: what the channel intake POST must do at the least. A 30-column row
    whose insert fires the day-count trigger and writes 7 index entries: the table's cost and the stack's
    together (`/bench/insert-evaluation/`). The stack's alone is `/bench/insert/`, the reference project's own
    view and row (bench/urls.py)."""
    if request.method != "POST":
        return JsonResponse({"code": "method", "message": "POST only"}, status=405)
    evaluation = _new_evaluation(json.loads(request.body), timezone.now())
    return JsonResponse({"id": str(evaluation.public_id), "level": evaluation.level}, status=201)


@csrf_exempt
def insert_same_work(request: HttpRequest) -> HttpResponse:
    """The intake POST's writes, bare: the evaluation and its history row (for levels 1-2 also the bad
    review and its row), then the idempotency record with the answer, in one transaction."""
    if request.method != "POST":
        return JsonResponse({"code": "method", "message": "POST only"}, status=405)
    channel_id, centre_id = _channel_ids()
    now = timezone.now()
    with transaction.atomic():
        evaluation = _new_evaluation(json.loads(request.body), now)
        EvaluationEvent.objects.create(evaluation=evaluation, action="submitted")
        if evaluation.level <= 2:
            today = timezone.localdate()
            BadReview.objects.create(
                evaluation=evaluation,
                centre_id=centre_id,
                contact_due=today + timedelta(days=1),
                rectify_due=today + timedelta(days=5),
            )
            EvaluationEvent.objects.create(evaluation=evaluation, action="bad_review_opened", new_status="open")
        body = {"id": str(evaluation.public_id), "level": evaluation.level}
        IdempotencyRecord.objects.create(
            channel_id=channel_id,
            key=request.headers.get("Idempotency-Key", ""),
            endpoint="bench",
            request_hash="",
            state=IdempotencyRecord.State.DONE,
            response_status=201,
            response_body=body,
            completed_at=now,
        )
    return JsonResponse(body, status=201)


def _user_centre(request: HttpRequest) -> int | HttpResponse:
    """The signed-in user's centre id, or the 403 the API answers to a visitor (or to a user of no centre)."""
    user = request.user
    if isinstance(user, AnonymousUser) or user.centre_id is None:
        return JsonResponse({"code": "not_authenticated", "message": "login"}, status=403)
    return user.centre_id


def case_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One case with its centre, matter and people, and its history: the rows the detail API shows."""
    centre_id = _user_centre(request)
    if isinstance(centre_id, HttpResponse):
        return centre_id
    case = (
        Case.objects.select_related("centre", "matter_type", "window", "handler", "first_responder")
        .prefetch_related("events")
        .get(public_id=public_id, centre_id=centre_id)
    )
    return JsonResponse(
        {
            "id": str(case.public_id),
            "tracking_no": case.tracking_no,
            "status": case.status,
            "centre": case.centre.code,
            "matter_type": case.matter_type.name,
            "handler": case.handler.name if case.handler else None,
            "events": [{"status": e.new_status, "at": e.created_at.isoformat()} for e in case.events.all()],
        }
    )


def case_list(request: HttpRequest) -> HttpResponse:
    """20 cases of the user's centre with their related rows, and the count: one page of the list API."""
    centre_id = _user_centre(request)
    if isinstance(centre_id, HttpResponse):
        return centre_id
    queryset = Case.objects.filter(centre_id=centre_id).select_related(
        "matter_type", "handler", "first_responder", "centre"
    )
    count = queryset.count()
    rows = [
        {"id": str(c.public_id), "tracking_no": c.tracking_no, "status": c.status, "matter": c.matter_type.name}
        for c in queryset.order_by("-created_at")[:20]
    ]
    return JsonResponse({"count": count, "results": rows})


def dashboard(request: HttpRequest) -> HttpResponse:
    """The aggregates a leader dashboard needs, as plain ORM aggregates over the centre's volume."""
    centre_id = _user_centre(request)
    if isinstance(centre_id, HttpResponse):
        return centre_id
    since = timezone.now() - timedelta(days=30)
    evaluations = Evaluation.objects.filter(centre_id=centre_id, rated_at__gte=since, excluded=False).aggregate(
        total=Count("id"), bad=Count("id", filter=Q(level__lte=2))
    )
    complaints = list(
        Complaint.objects.filter(centre_id=centre_id, received_at__gte=since).values("status").annotate(n=Count("id"))
    )
    cases = list(Case.objects.filter(centre_id=centre_id).values("status").annotate(n=Count("id")))
    return JsonResponse({"evaluations": evaluations, "complaints": complaints, "cases": cases})


class EvaluationCreateNoThrottle(EvaluationCreateApi):
    """The real intake endpoint with its throttle switched off: the 'throttling on' figure's baseline."""

    throttle_classes: list = []


_queue: dict[str, int] = {}


@csrf_exempt
def queue_insert(request: HttpRequest) -> HttpResponse:
    """Parse a batch of queue events and insert them as they come, in one statement: no key, no checks,
    no ticket rows, no ordering (what POST /api/v1/queue/events/ must do at the least)."""
    from intake.models import QueueDevice, QueueEvent, QueueTicket

    if not _queue:
        ticket = QueueTicket.objects.filter(number="BASELINE").order_by("-id").values_list("id", flat=True).first()
        device = (
            QueueDevice.objects.filter(revoked_at__isnull=True).order_by("-id").values_list("id", flat=True).first()
        )
        if ticket is None or device is None:
            raise RuntimeError("seed the queue bench first (python -m bench.queue_ingest seed)")
        _queue.update(ticket=ticket, device=device)
    events = json.loads(request.body)["events"]
    # Each event's time made unique by its position: the baseline ticket takes every event of the run.
    stamp = timezone.now()
    QueueEvent.objects.bulk_create(
        [
            QueueEvent(
                device_id=_queue["device"],
                ticket_id=_queue["ticket"],
                kind=event["kind"],
                occurred_at=stamp + timedelta(microseconds=i),
            )
            for i, event in enumerate(events)
        ]
    )
    return JsonResponse({"created": len(events)}, status=200)
