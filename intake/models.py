"""Machine-side records of feedback intake: channel keys, idempotency, webhooks, the update feed, imports."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel
from govservice.crypto import EncryptedCharField
from govservice.models import TimeStampedModel
from govservice.redaction import KEY_SCHEME
from govservice.sealed import ScrubbedJSONField
from govservice.uploads import import_storage

KEY_PREFIX_LENGTH = 8


def hash_key(raw_key: str) -> str:
    """SHA-256 of the whole key: the key is 256 random bits, so a slow hasher adds cost and no safety."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ChannelKey(TimeStampedModel):
    """One API key per channel partner; only its SHA-256 is kept, the key is shown once."""

    channel = models.ForeignKey(Channel, verbose_name=_("渠道"), on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(_("用途说明"), max_length=100, blank=True)
    prefix = models.CharField(_("前缀"), max_length=KEY_PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    requests_per_minute = models.PositiveIntegerField(
        _("每分钟请求上限"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("这把密钥每分钟最多可调用接口的次数（含 Open311 查询）；留空则使用全局默认值。"),
    )

    class Meta:
        verbose_name = _("渠道密钥")
        verbose_name_plural = _("渠道密钥")
        ordering = ["channel", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requests_per_minute__isnull=True) | models.Q(requests_per_minute__gte=1),
                name="channel_key_rate_at_least_one",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} · {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.channel.is_active

    @staticmethod
    def generate() -> tuple[str, str]:
        """A new (prefix, raw key). The raw key reads `gsk_<prefix>_<secret>`."""
        prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
        return prefix, f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


class IdempotencyRecord(models.Model):
    """The first response to an `Idempotency-Key`, replayed on every retry with that key."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("处理中")
        DONE = "done", _("已完成")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="idempotency_key_unique_per_channel")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.key}"


class WebhookSubscription(TimeStampedModel):
    channel = models.ForeignKey(
        Channel, verbose_name=_("渠道"), on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(_("回调地址"), max_length=500)
    secret = EncryptedCharField(_("签名密钥"), help_text=_("用于 HMAC-SHA256 签名，请与渠道方安全交换"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("状态推送订阅")
        verbose_name_plural = _("状态推送订阅")
        ordering = ["channel", "id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.url}"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)


class FeedEntry(models.Model):
    """One status change of a record a channel submitted; the pull feed and webhooks carry it."""

    class RecordKind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉建议")
        EVALUATION = "evaluation", _("评价")

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="feed_entries")
    record_kind = models.CharField(max_length=20, choices=RecordKind.choices)
    record_id = models.CharField(max_length=64, help_text=_("编号或公开编号"))
    external_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=30)
    payload = models.JSONField(default=dict)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["channel", "changed_at", "id"])]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.status}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("已放弃")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    entry = models.ForeignKey(FeedEntry, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    # What the channel reads in its delivery log: an HTTP status or a generic reason (govservice.outbound).
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    # What happened on the network (addresses, refused / timed out): for the administrator only.
    last_error_detail = models.CharField(_("错误详情（仅管理员可见）"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "entry"], name="webhook_delivery_once_per_entry"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subscription_id}/{self.entry_id}: {self.status}"


class ImportBatch(TimeStampedModel):
    """An uploaded hotline export or third-party survey file, validated row by row."""

    class Kind(models.TextChoices):
        HOTLINE = "hotline", _("12345热线工单导出")
        SURVEY = "survey", _("第三方测评结果")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        REJECTED = "rejected", _("有错误，未导入")
        FAILED = "failed", _("处理失败")

    kind = models.CharField(_("文件类型"), max_length=20, choices=Kind.choices)
    centre = models.ForeignKey(
        "govservice.Centre", verbose_name=_("中心"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    channel = models.ForeignKey(Channel, verbose_name=_("渠道"), on_delete=models.PROTECT, related_name="+")
    # Deleted when the batch is processed (a rejected one's after IMPORT_FILE_KEEP_HOURS): then empty.
    file = models.FileField(_("文件"), upload_to="intake/imports/%Y/%m/", storage=import_storage, blank=True)
    original_name = models.CharField(_("文件名"), max_length=255)
    valid_only = models.BooleanField(_("只导入有效行"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理"), default=0)
    imported_rows = models.PositiveIntegerField(_("已导入"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("重复"), default=0)
    errors = ScrubbedJSONField(_("错误"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("批量导入")
        verbose_name_plural = _("批量导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class HotlinePlatform(TimeStampedModel):
    """A 12345 hotline platform that pushes work orders, signed with its own secret (intake/work_orders.py).

    Its orders arrive on its channel (a channel of kind "hotline"): the order number is unique per
    channel, so a pushed order and the same order in a batch file of that channel are one complaint.
    """

    code = models.SlugField(_("平台编码"), max_length=40, unique=True, help_text=_("请求头 X-Hotline-Platform 的值"))
    name = models.CharField(_("名称"), max_length=100)
    channel = models.OneToOneField(
        Channel, verbose_name=_("渠道"), on_delete=models.PROTECT, related_name="hotline_platform"
    )
    secret = EncryptedCharField(_("签名密钥"), help_text=_("用于 HMAC-SHA256 签名，请与热线平台安全交换"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("12345热线平台")
        verbose_name_plural = _("12345热线平台")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)


# The queue machines' models and the platform outbox's live in their own packages; imported here so that
# Django registers them.
from .platforms.models import PlatformMessage, PlatformReconciliation, PlatformStream  # noqa: E402
from .queue.models import QueueDevice, QueueEvent, QueueSettings, QueueTicket  # noqa: E402

__all__ = [
    "ChannelKey",
    "FeedEntry",
    "HotlinePlatform",
    "IdempotencyRecord",
    "ImportBatch",
    "PlatformMessage",
    "PlatformReconciliation",
    "PlatformStream",
    "QueueDevice",
    "QueueEvent",
    "QueueSettings",
    "QueueTicket",
    "WebhookDelivery",
    "WebhookSubscription",
]
