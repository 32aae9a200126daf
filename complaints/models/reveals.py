"""Who saw the full free text of a citizen's voice (numbers unmasked), and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TextAccess(models.Model):
    """One reveal of a sealed original (complaint, evaluation or escalation); like cases' PiiAccess."""

    class RecordKind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉建议")
        EVALUATION = "evaluation", _("评价")
        ESCALATION = "escalation", _("办不成事反映")

    record_kind = models.CharField(max_length=20, choices=RecordKind.choices)
    record_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=30)
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("原文查看记录")
        verbose_name_plural = _("原文查看记录")
        ordering = ["-viewed_at"]
        indexes = [models.Index(fields=["record_kind", "record_id"])]

    def __str__(self) -> str:
        return f"{self.viewer_id} {self.record_kind}:{self.record_id}.{self.field}"
