"""The SMS outbox and in-app notices. First cut."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.crypto import EncryptedCharField
from staff.models import Centre, TimeStampedModel


class SmsMessage(TimeStampedModel):
    """One SMS to send. `key` is the natural idempotency key (e.g. case:deadline:offset)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已提交")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")
        CANCELLED = "cancelled", _("已取消")

    key = models.CharField(_("幂等键"), max_length=200, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), null=True, on_delete=models.PROTECT, related_name="+")
    phone = EncryptedCharField(_("手机号"))
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    template_code = models.CharField(_("模板"), max_length=50)
    params = models.JSONField(_("参数"), default=dict)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    send_after = models.DateTimeField(_("计划发送时间"))
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    provider_message_id = models.CharField(_("服务商消息编号"), max_length=100, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信发件箱")
        ordering = ["-send_after"]
        indexes = [models.Index(fields=["status", "send_after"])]

    def __str__(self) -> str:
        return self.key


class Notice(models.Model):
    """An in-app notice to one member of staff ("you are told")."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=200, help_text=_("幂等键：同一事由只通知一次"))
    text = models.CharField(_("内容"), max_length=500)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notice_once_per_recipient_and_key")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text
