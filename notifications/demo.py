"""Demo outbox and notices (idempotent): a few days of reminders in every state, and unread notices.

Rows are written directly with their history rather than sent through a
backend, so loading the demo never calls a provider.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from govservice.crypto import lookup_hash
from govservice.models import Centre
from staff.demo import DemoContext
from staff.models import Role, User

from . import services
from .models import SmsEvent, SmsMessage

S = SmsMessage.Status
K = SmsEvent.Kind
# (status, share of messages) per centre; failed ones carry a provider error.
MIX = [(S.DELIVERED, 8), (S.SENT, 3), (S.FAILED, 3), (S.QUEUED, 4), (S.CANCELLED, 2)]
ERRORS = ["gateway HTTP 400 isv.MOBILE_NUMBER_ILLEGAL", "undelivered: UNDELIV", "gateway HTTP 503 (after 5 attempts)"]


@transaction.atomic
def load(ctx: DemoContext) -> None:
    if SmsMessage.objects.filter(key__startswith="demo:").exists():
        return
    now = timezone.now()
    messages: list[SmsMessage] = []
    for centre in Centre.objects.filter(code__in=["city", "gxq"]).order_by("code"):
        number = 0
        for status, count in MIX:
            for _ in range(count):
                number += 1
                phone = ctx.phone()
                send_after = (
                    now + timedelta(hours=ctx.rng.randint(2, 40))
                    if status == S.QUEUED
                    else now - timedelta(hours=ctx.rng.randint(1, 72))
                )
                sent = status in {S.DELIVERED, S.SENT} or (status == S.FAILED and number % 2 == 0)
                messages.append(
                    SmsMessage(
                        key=f"demo:{centre.code}:{number}",
                        centre=centre,
                        phone=phone,
                        phone_hash=lookup_hash(phone),
                        template_code="case_correction_reminder",
                        template_version=1 if status not in {S.QUEUED, S.CANCELLED} else None,
                        params={
                            "tracking_no": f"{centre.tracking_prefix}-{now.year}-{number:06d}",
                            "materials": ctx.rng.choice(["营业执照复印件", "房屋租赁合同", "法定代表人身份证明"]),
                            "deadline": (send_after + timedelta(days=2)).date().isoformat(),
                            "centre": centre.name,
                        },
                        status=status,
                        send_after=send_after,
                        attempts=0 if status in {S.QUEUED, S.CANCELLED} else (3 if status == S.FAILED else 1),
                        claimed_at=None if status in {S.QUEUED, S.CANCELLED} else send_after,
                        sent_at=send_after + timedelta(seconds=2) if sent else None,
                        delivered_at=send_after + timedelta(seconds=9) if status == S.DELIVERED else None,
                        provider_message_id=f"demo-{centre.code}-{number}" if sent else "",
                        last_error=ctx.rng.choice(ERRORS) if status == S.FAILED else "",
                    )
                )
    SmsMessage.objects.bulk_create(messages)
    events: list[SmsEvent] = []
    for message in SmsMessage.objects.filter(key__startswith="demo:"):
        events.append(SmsEvent(message=message, kind=K.QUEUED, old_status="", new_status=S.QUEUED))
        if message.status == S.CANCELLED:
            events.append(SmsEvent(message=message, kind=K.CANCELLED, old_status=S.QUEUED, new_status=S.CANCELLED))
            continue
        if message.status == S.QUEUED:
            continue
        events.append(SmsEvent(message=message, kind=K.CLAIMED, old_status=S.QUEUED, new_status=S.SENDING, attempt=1))
        if message.sent_at:
            events.append(SmsEvent(message=message, kind=K.SENT, old_status=S.SENDING, new_status=S.SENT, attempt=1))
        if message.status == S.DELIVERED:
            events.append(SmsEvent(message=message, kind=K.DELIVERED, old_status=S.SENT, new_status=S.DELIVERED))
        elif message.status == S.FAILED:
            old = S.SENT if message.sent_at else S.SENDING
            events.append(
                SmsEvent(message=message, kind=K.FAILED, old_status=old, new_status=S.FAILED, note=message.last_error)
            )
    SmsEvent.objects.bulk_create(events)

    leaders = User.objects.filter(roles__role__in=[Role.LEADER, Role.CITY_LEADER]).distinct()
    for user in ctx.progress(list(leaders), "notices"):
        services.notice_send(
            recipient=user,
            key="demo:sms-failed",
            text=services.notice_text(gettext_noop("有短信提醒发送失败，请在短信发件箱中查看并安排电话联系。")),
            url="/notifications/messages/?status=failed",
        )
        services.notice_send(
            recipient=user,
            key="demo:welcome",
            text=services.notice_text(gettext_noop("欢迎使用窗口作风建设管理平台。")),
        )
