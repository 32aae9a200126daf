"""Queue machines (排队叫号): a device with a key, the events it reports, and one derived row per ticket.

The events are the record; `QueueTicket` is derived from a ticket's events by `intake.queue.services`
(recomputed whole from the events, in the events' own time order, whenever one arrives), so the
figures read one row per ticket.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.models import TimeStampedModel
from govservice.redaction import KEY_SCHEME

KEY_PREFIX_LENGTH = 8  # as a channel key's: the same `gsk_<prefix>_<secret>` spelling, redacted from logs alike


class QueueDevice(TimeStampedModel):
    """A queue machine (or the queue system of a centre) posting events; only its key's SHA-256 is kept."""

    centre = models.ForeignKey(
        "govservice.Centre", verbose_name=_("中心"), on_delete=models.PROTECT, related_name="queue_devices"
    )
    name = models.CharField(_("名称"), max_length=100)
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

    class Meta:
        verbose_name = _("叫号设备")
        verbose_name_plural = _("叫号设备")
        ordering = ["centre", "name"]

    def __str__(self) -> str:
        return f"{self.name} · {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def generate() -> tuple[str, str]:
        """A new (prefix, raw key). The raw key reads `gsk_<prefix>_<secret>`, as a channel key."""
        prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
        return prefix, f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


class QueueSettings(models.Model):
    """A centre's queue settings; a centre without a row uses the defaults."""

    DEFAULT_WAIT_ALERT_MINUTES = 30

    centre = models.OneToOneField(
        "govservice.Centre", verbose_name=_("中心"), on_delete=models.CASCADE, related_name="queue_settings"
    )
    wait_alert_minutes = models.PositiveIntegerField(
        _("等候提醒阈值（分钟）"),
        default=DEFAULT_WAIT_ALERT_MINUTES,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("有群众等候超过这个时长时，实时排队页面向值班领导提示。"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("排队设置")
        verbose_name_plural = _("排队设置")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(wait_alert_minutes__gte=1, wait_alert_minutes__lte=600),
                name="queue_wait_alert_minutes_range",
            )
        ]

    def __str__(self) -> str:
        return str(self.centre)


class QueueTicket(models.Model):
    """One ticket of one day in one centre, derived from its events (never written by anything else)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("等候中")
        CALLED = "called", _("已叫号")
        SERVING = "serving", _("办理中")
        DONE = "done", _("已办结")
        NO_SHOW = "no_show", _("过号未到")

    centre = models.ForeignKey(
        "govservice.Centre", verbose_name=_("中心"), on_delete=models.PROTECT, related_name="queue_tickets"
    )
    day = models.DateField(_("日期"))
    number = models.CharField(_("号码"), max_length=20)
    matter = models.CharField(_("事项"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.WAITING)
    taken_at = models.DateTimeField(_("取号时间"), null=True, blank=True)
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始办理"), null=True, blank=True)
    ended_at = models.DateTimeField(_("办理结束"), null=True, blank=True)
    # The window and staff member that called (last) / served it: after a transfer, the receiving one.
    window = models.ForeignKey(
        "staff.Window", verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    no_show = models.BooleanField(_("过号未到"), default=False)
    transferred = models.BooleanField(_("曾转窗口"), default=False)
    # Seconds, kept so that the figures aggregate integers: taken → first call; start → end.
    wait_seconds = models.PositiveIntegerField(_("等候秒数"), null=True, blank=True)
    service_seconds = models.PositiveIntegerField(_("办理秒数"), null=True, blank=True)
    has_out_of_order = models.BooleanField(_("含顺序异常的事件"), default=False)

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        ordering = ["centre", "day", "taken_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "day", "number"], name="queue_ticket_unique_per_day"),
        ]
        indexes = [
            models.Index(fields=["centre", "day", "status"]),
            models.Index(fields=["centre", "taken_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.number}"


class QueueEvent(models.Model):
    """One event a queue device reported. Its identity: device + ticket + kind + its own time."""

    class Kind(models.TextChoices):
        TAKEN = "taken", _("取号")
        CALLED = "called", _("叫号")
        STARTED = "started", _("开始办理")
        ENDED = "ended", _("办理结束")
        NO_SHOW = "no_show", _("过号未到")
        TRANSFERRED = "transferred", _("转窗口")

    # Which kinds may follow which, in the events' own time order; "" is a ticket with no event yet.
    # A transfer puts the ticket back in the waiting line of the receiving window.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        "": frozenset({"taken"}),
        "taken": frozenset({"called", "no_show", "transferred"}),
        "called": frozenset({"called", "started", "no_show", "transferred"}),
        "started": frozenset({"ended", "transferred"}),
        "transferred": frozenset({"called", "no_show"}),
        "ended": frozenset(),
        "no_show": frozenset(),
    }

    device = models.ForeignKey(QueueDevice, verbose_name=_("设备"), on_delete=models.PROTECT, related_name="events")
    ticket = models.ForeignKey(QueueTicket, verbose_name=_("排队号"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("发生时间"))
    window = models.ForeignKey(
        "staff.Window", verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_window = models.ForeignKey(
        "staff.Window", verbose_name=_("转至窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    matter = models.CharField(_("事项"), max_length=100, blank=True)
    # Stored, not refused: the event does not fit the ticket's other events in time order
    # (a "called" after "ended", a second "taken"). Recomputed when a late event arrives.
    out_of_order = models.BooleanField(_("顺序异常"), default=False)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("排队事件")
        verbose_name_plural = _("排队事件")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "ticket", "kind", "occurred_at"], name="queue_event_once_per_device_ticket_kind_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.kind} {self.occurred_at:%H:%M:%S}"
