"""Complaints and evaluations as Open311 service-request records (no personal data unless `full`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request

from complaints.models import BadReview, Channel, Complaint, Evaluation
from complaints.selectors import (
    COMPLAINT_FINISHED,
    complaint_list_unscoped,
    complaint_reply_due,
    end_of_working_day,
    evaluation_list_unscoped,
)
from govservice.workdays import WorkCalendar

from ..models import ChannelKey
from .catalog import matter_service_code
from .formats import iso

MAX_DESCRIPTION = 4000
CLOSED_COMPLAINT = COMPLAINT_FINISHED  # Open311 "closed" is complaints' "finished"
OPEN_BAD_REVIEW = (
    BadReview.Status.OPEN,
    BadReview.Status.CONTACTED,
    BadReview.Status.RECTIFYING,
    BadReview.Status.APPEALED,
)


def service_of_complaint(complaint: Complaint) -> tuple[str, str]:
    if complaint.matter_type is not None:  # no query when the id is empty, as the id test was
        return matter_service_code(complaint.matter_type), complaint.matter_type.name
    if complaint.kind == Complaint.Kind.SUGGESTION:
        return "suggestion", _("建议")
    if complaint.category:
        return f"complaint-{complaint.category}", _("投诉：%(category)s") % {
            "category": complaint.get_category_display()
        }
    return "complaint", _("投诉")


def complaint_notice(complaint: Complaint, expected: Any = None) -> str:
    expected = expected or complaint_reply_due(complaint)
    return _("已受理，编号 %(no)s；将于 %(date)s 前答复（按工作日计算）。") % {
        "no": complaint.tracking_no,
        "date": timezone.localtime(expected.at).date().isoformat(),
    }


def complaint_record(complaint: Complaint, *, full: bool, calendar: WorkCalendar | None = None) -> dict[str, Any]:
    from govservice.masking import scrub

    expected = complaint_reply_due(complaint, calendar)
    code, name = service_of_complaint(complaint)
    closed = complaint.status in CLOSED_COMPLAINT
    updated = getattr(complaint, "last_event_at", None) or complaint.updated_at
    return {
        "service_request_id": complaint.tracking_no,
        "status": "closed" if closed else "open",
        "status_notes": str(complaint.get_status_display()),
        "service_name": name,
        "service_code": code,
        # Complaint text is citizens' words: only the channel that sent it reads it back, scrubbed.
        "description": scrub(complaint.content)[:MAX_DESCRIPTION] if full else None,
        "agency_responsible": complaint.department.name if complaint.department is not None else complaint.centre.name,
        "service_notice": complaint_notice(complaint, expected),
        "requested_datetime": iso(complaint.received_at),
        "updated_datetime": iso(updated),
        "expected_datetime": iso(expected.at),
        "address": f"{complaint.centre.name} {complaint.window.name}"
        if complaint.window is not None
        else complaint.centre.name,
        "address_id": complaint.window.code if complaint.window is not None else None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def evaluation_record(evaluation: Evaluation, *, full: bool) -> dict[str, Any]:
    bad_review = getattr(evaluation, "bad_review", None)
    is_open = bad_review is not None and bad_review.status in OPEN_BAD_REVIEW
    return {
        "service_request_id": str(evaluation.public_id),
        "status": "open" if is_open else "closed",
        "status_notes": str(bad_review.get_status_display()) if bad_review else str(evaluation.get_level_display()),
        "service_name": _("好差评"),
        "service_code": "evaluation",
        "description": str(evaluation.get_level_display()) if full else None,
        "agency_responsible": evaluation.window.name if evaluation.window is not None else evaluation.centre.name,
        "service_notice": _("差评将在规定工作日内联系、核实与整改。") if bad_review else _("感谢您的评价。"),
        "requested_datetime": iso(evaluation.rated_at),
        "updated_datetime": iso(bad_review.updated_at if bad_review else evaluation.rated_at),
        "expected_datetime": iso(end_of_working_day(bad_review.rectify_due)) if bad_review else None,
        "address": evaluation.centre.name,
        "address_id": evaluation.window.code if evaluation.window is not None else None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def complaints_queryset() -> QuerySet[Complaint]:
    return (
        complaint_list_unscoped()
        .select_related("centre", "department", "window", "matter_type__centre")
        .annotate(last_event_at=Max("events__created_at"))
    )


def evaluations_queryset() -> QuerySet[Evaluation]:
    return evaluation_list_unscoped().select_related("centre", "window", "bad_review").filter(follow_up_of__isnull=True)


def owner_channel(request: Request) -> Channel | None:
    return request.auth.channel if isinstance(request.auth, ChannelKey) else None


def is_full_for(request: Request, obj: Complaint | Evaluation) -> bool:
    channel = owner_channel(request)
    return channel is not None and obj.channel_id == channel.id
