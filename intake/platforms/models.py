"""The outbox rows. Imported by intake/models.py so Django finds them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PlatformStream(models.Model):
    """The last sequence number given out in one stream (a work order, an evaluation) of one platform.

    Enqueueing locks this row until the caller's transaction commits, so the sequence numbers of a
    stream become visible in the order they were given (and `PlatformMessage` can wait for its elders).
    """

    platform = models.CharField(max_length=40)
    stream_key = models.CharField(max_length=100)
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "stream_key"], name="platform_stream_unique")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.stream_key}"


class PlatformMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        ACKNOWLEDGED = "acknowledged", _("已确认")
        FAILED = "failed", _("发送失败")

    # States in which a message still owes the platform something: a later message of its stream waits.
    UNSENT = frozenset({Status.QUEUED, Status.SENDING, Status.FAILED})

    message_id = models.UUIDField(_("消息编号"), default=uuid.uuid4, unique=True, editable=False)
    platform = models.CharField(_("平台"), max_length=40)
    centre = models.ForeignKey("govservice.Centre", verbose_name=_("中心"), on_delete=models.PROTECT, related_name="+")
    stream_key = models.CharField(_("消息流"), max_length=100, help_text=_("例如工单编号；同一消息流按顺序发送"))
    sequence = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("消息类型"), max_length=60)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    # The claim of the worker sending it: outcomes are written only under the same claim.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    # The generic reason (shown to staff); the detail (addresses, ports) is for the administrator only.
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    last_error_detail = models.CharField(_("错误详情（仅管理员可见）"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    ack_reference = models.CharField(_("平台回执号"), max_length=100, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("重发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    retried_at = models.DateTimeField(_("重发时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("平台消息")
        verbose_name_plural = _("平台消息")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "stream_key", "sequence"], name="platform_message_stream_sequence_unique"
            ),
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="platform_message_sequence_positive"),
        ]
        indexes = [
            models.Index(fields=["platform", "status", "next_attempt_at"], name="platform_msg_due_idx"),
            models.Index(fields=["platform", "sent_at"], name="platform_msg_sent_idx"),
            models.Index(fields=["platform", "acknowledged_at"], name="platform_msg_ack_idx"),
            models.Index(fields=["platform", "failed_at"], name="platform_msg_failed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.stream_key}#{self.sequence} ({self.kind})"
