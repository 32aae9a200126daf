"""Scoped reads for the outbox and notices. Out of scope looks exactly like "not found"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from govservice import access
from govservice.masking import scrub
from staff.models import User
from staff.selectors import get_in_scope, scope_to_user

from .models import Notice, SmsMessage, SmsTemplate


def sms_list_for(*, user: User, status: str = "", centre: str = "") -> QuerySet[SmsMessage]:
    """The outbox in scope; `centre` (a code) narrows it, as the leader dashboard's centre filter."""
    if not access.can_see_outbox(user):
        return SmsMessage.objects.none()
    queryset = scope_to_user(SmsMessage.objects.select_related("centre"), user)
    if status in SmsMessage.Status.values:
        queryset = queryset.filter(status=status)
    if centre:
        queryset = queryset.filter(centre__code=centre)
    return queryset.order_by("-send_after", "-id")


def sms_get_for(*, user: User, id: int) -> SmsMessage:  # noqa: A002 - the house selector signature
    return get_in_scope(sms_list_for(user=user), user, id=id)


@dataclass(frozen=True)
class OutboxCounts:
    queued: int
    sending: int
    sent: int
    delivered: int
    failed: int
    cancelled: int


def sms_counts_for(*, user: User) -> OutboxCounts:
    """Messages per status in one aggregate query."""
    S = SmsMessage.Status
    row = sms_list_for(user=user).order_by().aggregate(**{s.value: Count("id", filter=Q(status=s.value)) for s in S})
    return OutboxCounts(**{s.value: row[s.value] or 0 for s in S})


def sms_failed_count_for(*, user: User) -> int:
    return sms_list_for(user=user, status=SmsMessage.Status.FAILED).count()


def sms_list_for_keys(*, key_prefix: str) -> QuerySet[SmsMessage]:
    """The messages of one subject (e.g. a case: "case:42:"), for the _case_messages partial.

    The caller has already checked that the user may see the subject.
    """
    return SmsMessage.objects.filter(key__startswith=key_prefix).order_by("send_after", "id")


def sms_templates_current() -> QuerySet[SmsTemplate]:
    """The newest version of every template code (one query; the versions actually sent from)."""
    newest = SmsTemplate.objects.filter(code=OuterRef("code")).order_by("-version").values("version")[:1]
    return SmsTemplate.objects.filter(version=Subquery(newest))


def sms_templates_missing_provider_id(field: str = "provider_template_id") -> QuerySet[SmsTemplate]:
    """Templates in use (newest version, active) without a code in `field` (the configured provider's: see
    BaseSmsBackend.template_id_field): a backend that needs one cannot send them.

    For the admin (staff with the admin's template permission); older
    versions are history and are not listed.
    """
    if field not in {"provider_template_id", "aliyun_template_code", "tencent_template_id"}:
        raise ValueError(f"not a template code field: {field}")
    return sms_templates_current().filter(is_active=True, **{field: ""}).order_by("code")


def notice_list_for(*, user: User, unread_only: bool = False) -> QuerySet[Notice]:
    if not user.is_authenticated:
        return Notice.objects.none()
    queryset = Notice.objects.filter(recipient=user)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-id")


def notice_unread_count(*, user: User) -> int:
    return notice_list_for(user=user, unread_only=True).count()


def sms_failed_between(*, start: datetime, end: datetime) -> QuerySet[SmsMessage]:
    """Messages that failed, created in [start, end), unscoped: the leader dashboard scopes them itself."""
    return SmsMessage.objects.filter(status=SmsMessage.Status.FAILED, created_at__gte=start, created_at__lt=end)


def sms_text_of(message: SmsMessage) -> str:
    """The message's wording as the citizen reads it, with phone and ID numbers masked (scrub):
    the template version it was sent with, else the one in use now; "" when there is none."""
    templates = SmsTemplate.objects.filter(code=message.template_code)
    template = (
        templates.filter(version=message.template_version).first()
        if message.template_version
        else templates.order_by("-version").first()
    )
    return scrub(template.render(message.params)) if template is not None else ""


def notice_sent(*, recipient: User, key: str) -> bool:
    """Has this person already been sent the notice with this idempotency key?"""
    return Notice.objects.filter(recipient=recipient, key=key).exists()
