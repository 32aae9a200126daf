"""The SMS outbox, its templates and history, and in-app notices.

An SMS is a row first (the outbox) and a network call second: the beat task
claims due rows with a compare-and-set, the worker sends them, and every
status change leaves an `SmsEvent`. Nothing is lost when a worker dies (the
row stays in SENDING and the reaper puts it back) and nothing is sent twice
by a task running twice (the claim is a conditional UPDATE).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.crypto import EncryptedCharField, LookupHashField
from govservice.masking import mask_phone
from govservice.models import Centre, TimeStampedModel
from govservice.sealed import ScrubbedCharField


class SmsTemplate(PlainConstraintErrors, models.Model):
    """One version of a provider template. Rows are never edited: a change is a new version.

    Chinese SMS providers send only pre-approved templates, addressed by sign
    name + template id with named parameters; `text` is our copy of the wording,
    used by the console/file backends and on screens.
    """

    code = models.SlugField(_("模板编码"), max_length=50)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=100)
    sign_name = models.CharField(_("短信签名"), max_length=40)
    # Empty until the provider approves the wording and gives its id: the file
    # and console backends send without one, a gateway backend refuses to.
    provider_template_id = models.CharField(
        _("服务商模板编号"),
        max_length=64,
        blank=True,
        help_text=_("短信服务商审核通过后给出的模板编号。留空时只能用文件/控制台后端，经短信网关发送会失败。"),
    )
    # The same wording approved by each real provider gets that provider's own code; the backend named by
    # SMS_BACKEND reads its field (BaseSmsBackend.template_id_field) and fails a message whose template has none.
    aliyun_template_code = models.CharField(
        _("阿里云模板编号"),
        max_length=64,
        blank=True,
        help_text=_("阿里云短信审核通过的模板 CODE，例如 SMS_123456789；参数按名称传递。"),
    )
    tencent_template_id = models.CharField(
        _("腾讯云模板 ID"),
        max_length=64,
        blank=True,
        help_text=_("腾讯云短信审核通过的模板 ID（数字）；模板中的 {1}、{2}… 依次对应下面的参数名。"),
    )
    param_names = models.JSONField(_("参数名（按顺序）"), default=list, blank=True)
    text = models.TextField(_("模板正文"), help_text=_("用 {参数名} 占位，例如：请于{deadline}前补交{materials}。"))
    allow_night = models.BooleanField(
        _("允许夜间发送"), default=False, help_text=_("默认只在 08:00–20:00（北京时间）之间发送。")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "sms_template_code_version_unique": ConstraintMessage(
            "version",
            lambda obj: _("模板“%(code)s”已有第 %(v)s 版，请使用新的版本号。") % {"code": obj.code, "v": obj.version},
        ),
        "sms_template_version_positive": ConstraintMessage("version", lambda obj: _("版本号至少为 1。")),
    }

    class Meta:
        verbose_name = _("短信模板")
        verbose_name_plural = _("短信模板")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="sms_template_code_version_unique"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="sms_template_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def render(self, params: dict[str, Any]) -> str:
        """The wording with the named parameters filled in (for console/file output and screens)."""
        text = self.text
        for name in self.param_names:
            text = text.replace("{" + name + "}", str(params.get(name, "")))
        return text

    def ordered_params(self, params: dict[str, Any]) -> dict[str, str]:
        """Only the template's parameters, in the template's order, as strings (providers take strings)."""
        return {name: str(params.get(name, "")) for name in self.param_names}


class SmsMessage(TimeStampedModel):
    """One SMS to send. `key` is the natural idempotency key (e.g. case:deadline:offset)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已提交")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")
        CANCELLED = "cancelled", _("已取消")

    # The table is the documentation: every move goes through services._move().
    # SENDING → QUEUED is a retry (back-off after an error, or the reaper after a crash).
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.QUEUED: frozenset({Status.SENDING, Status.CANCELLED}),
        Status.SENDING: frozenset({Status.SENT, Status.FAILED, Status.QUEUED}),
        Status.SENT: frozenset({Status.DELIVERED, Status.FAILED}),
        Status.DELIVERED: frozenset(),
        Status.FAILED: frozenset({Status.QUEUED}),  # a leader sends it again, on purpose
        Status.CANCELLED: frozenset(),
    }

    key = models.CharField(_("幂等键"), max_length=200, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), null=True, on_delete=models.PROTECT, related_name="+")
    phone = EncryptedCharField(_("手机号"))
    # Looked up only with claimed_at (the daily cap): sms_phone_claimed_idx serves it, a second index
    # on phone_hash alone would only slow every status change down.
    phone_hash = LookupHashField(lookup_source="phone", max_length=64, editable=False)
    template_code = models.CharField(_("模板"), max_length=50)
    template_version = models.PositiveSmallIntegerField(_("模板版本"), null=True, blank=True)
    params = models.JSONField(_("参数"), default=dict)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    send_after = models.DateTimeField(_("计划发送时间"))
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # Times the reaper took the message back from a worker that went silent.
    # When the worker had already handed it to the provider and the provider
    # cannot be asked whether it has it, the citizen may get it twice: this is
    # the one place a duplicate can happen, so it is counted.
    retries = models.PositiveSmallIntegerField(_("超时重发次数"), default=0)
    possible_duplicates = models.PositiveSmallIntegerField(_("可能重复提交次数"), default=0)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("提交服务商时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    provider_message_id = models.CharField(_("服务商消息编号"), max_length=100, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信发件箱")
        ordering = ["-send_after"]
        indexes = [
            # The claim's "status = queued AND send_after <= now ORDER BY send_after, id LIMIT n" reads
            # exactly n entries: with id in the index, messages due at the same moment (a bulk
            # enqueue) need no sort of every one of them on each claim.
            models.Index(fields=["status", "send_after", "id"], name="sms_status_due_idx"),
            models.Index(fields=["phone_hash", "claimed_at"], name="sms_phone_claimed_idx"),
            models.Index(fields=["provider_message_id"], name="sms_provider_id_idx"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def status_css(self) -> str:
        css: dict[str, str] = {
            self.Status.DELIVERED: "status-ok",
            self.Status.SENT: "status-ok",
            self.Status.FAILED: "status-danger",
            self.Status.SENDING: "status-warn",
        }
        return css.get(self.status, "")


class SmsEvent(models.Model):
    """One status change of one SMS (or a deferral without a change): the message's history."""

    class Kind(models.TextChoices):
        QUEUED = "queued", _("加入发件箱")
        CLAIMED = "claimed", _("领取发送")
        SENT = "sent", _("提交成功")
        RETRY = "retry", _("出错后重试")
        REAPED = "reaped", _("超时收回重发")
        RECONCILED = "reconciled", _("对账确认已提交")
        DEFERRED = "deferred", _("顺延")
        FAILED = "failed", _("发送失败")
        DELIVERED = "delivered", _("回执：已送达")
        UNDELIVERED = "undelivered", _("回执：未送达")
        CANCELLED = "cancelled", _("取消")
        REQUEUED = "requeued", _("人工重新发送")

    # No database foreign key: notifications_smsmessage is partitioned (docs/partitions.md); Django's CASCADE
    # still deletes a message's events with it.
    message = models.ForeignKey(
        SmsMessage, verbose_name=_("短信"), on_delete=models.CASCADE, related_name="events", db_constraint=False
    )
    kind = models.CharField(_("事件"), max_length=20, choices=Kind.choices)
    old_status = models.CharField(_("原状态"), max_length=20, blank=True)
    new_status = models.CharField(_("新状态"), max_length=20)
    attempt = models.PositiveSmallIntegerField(_("第几次尝试"), default=0)
    note = ScrubbedCharField(_("说明"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("空表示系统自动。"),
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("短信状态记录")
        verbose_name_plural = _("短信状态记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.old_status} → {self.new_status}"


class Notice(models.Model):
    """An in-app notice to one member of staff ("you are told")."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=200, help_text=_("幂等键：同一事由只通知一次"))
    # The wording in the site's default language, as it read when sent: what the admin searches and shows, and
    # what a notice written before `message` existed still shows.
    text = ScrubbedCharField(_("内容"), max_length=500)
    # The wording's source string and its (scrubbed) parameters, so that each reader sees the notice in the
    # language of the page they are on, not the language of whoever (or whichever task) caused it.
    message = models.TextField(_("源文本"), blank=True, editable=False)
    params = models.JSONField(_("参数"), default=dict, blank=True, editable=False)
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
        return self.shown

    @property
    def shown(self) -> str:
        """The notice in the active language (falls back to the stored wording)."""
        from .wording import render_message  # noqa: PLC0415 - the model module stays free of translation code

        return render_message(self.message, self.params) if self.message else self.text


class SmsOptOut(models.Model):
    """A number whose owner asked for no more SMS (退订): the outbox queues nothing to it.

    Found by the number's lookup hash (under any lookup key); the number itself is encrypted, as in the outbox.
    """

    phone = EncryptedCharField(_("手机号"))
    phone_hash = LookupHashField(lookup_source="phone", max_length=64, unique=True, editable=False)
    note = ScrubbedCharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("退订时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("短信退订")
        verbose_name_plural = _("短信退订")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return mask_phone(self.phone)
