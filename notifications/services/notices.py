"""In-app notices to staff."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from govservice.masking import scrub
from staff.models import User

from ..models import Notice
from ..wording import NoticeText, notice_text


def notice_send(*, recipient: User, key: str, text: str | NoticeText, url: str = "") -> Notice:
    """Tell one member of staff something, once per key.

    A `NoticeText` is shown in each reader's language; a plain string (a person's own words) as it was written.
    """
    defaults: dict[str, object] = {"url": url[:300]}
    if isinstance(text, NoticeText):
        with translation.override(settings.LANGUAGE_CODE):
            defaults["text"] = scrub(str(text))[:500]
        defaults["message"] = text.msgid
        defaults["params"] = text.stored_params()
    else:
        defaults["text"] = scrub(text)[:500]
    notice, _created = Notice.objects.get_or_create(recipient=recipient, key=key, defaults=defaults)
    return notice


def notice_mark_read(*, user: User, notice_id: int | None = None) -> int:
    """Mark one of the user's notices (or all of them) as read; returns how many changed."""
    queryset = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_id is not None:
        queryset = queryset.filter(id=notice_id)
    return queryset.update(read_at=timezone.now())


def on_work_reassigned(
    *, person: User, to_user: User, actor: User, reason: str, labels: list[str], key: str, **_kwargs: object
) -> Notice:
    """staff.workload.work_reassigned: tell the new owner, once, what they now answer for and why."""
    shown = "；".join(labels[:5]) + ("……" if len(labels) > 5 else "")
    text = notice_text(
        gettext_noop("%(actor)s 将 %(person)s 的 %(n)d 项工作转交给您（%(reason)s）：%(items)s"),
        {"actor": actor, "person": person, "n": len(labels), "reason": reason, "items": shown},
    )
    return notice_send(recipient=to_user, key=key, text=text, url=reverse("my-work"))
