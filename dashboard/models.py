"""The dashboard reads every app and owns only the weekly digest's two small records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DigestOptOut(models.Model):
    """A leader who asked not to receive the weekly digest by e-mail (the page stays available)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("领导"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("退订时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("周报退订")
        verbose_name_plural = _("周报退订")

    def __str__(self) -> str:
        return str(self.user_id)


class DigestDelivery(models.Model):
    """One digest sent to one leader for one ISO week: a repeated run of the task sends nothing twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("领导"), on_delete=models.CASCADE, related_name="+"
    )
    week = models.CharField(_("周次"), max_length=8)  # "2026-W49"
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("周报发送记录")
        verbose_name_plural = _("周报发送记录")
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="digest_delivery_once_per_week")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week}"
