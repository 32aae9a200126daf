"""The one-time rating link (一事一评) a citizen gets by SMS when their case is completed.

Only a hash of the token is stored: the token itself exists in the SMS and nowhere else, so a copy of the
database opens no citizen's rating page. The link is tied to the case and to the member of staff (and
window) who handled it at completion, works once and expires after `RATING_LINK_VALID_DAYS`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from staff.models import Window

from .case import Case

RATING_LINK_VALID_DAYS = 7


def rating_token_hash(token: str) -> str:
    """What is stored of a link's token, and how a token is found."""
    return hashlib.sha256(token.encode()).hexdigest()


class RatingLink(models.Model):
    case = models.OneToOneField(
        Case, verbose_name=pgettext_lazy("one case", "办件"), on_delete=models.CASCADE, related_name="rating_link"
    )
    # sha256 of the random token (192 bits): no key is needed to make a hash of such a token unguessable.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("被评价人员"), on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办结评价链接")
        verbose_name_plural = _("办结评价链接")
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="rating_link_expiry")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}"

    @property
    def is_used(self) -> bool:
        return self.used_at is not None

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())
