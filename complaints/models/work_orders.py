"""12345 hotline work orders (工单) inside a complaint: the hotline's order number, its stage and each
stage's working-day clock, and the history of every step with who took it.

The order number is unique per hotline platform: the platform is the complaint's channel (a channel of
kind "hotline"), and the complaint keeps the order number as its `external_id`, so a pushed order and the
same order in a batch file meet on one key, (channel, order number).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.models import TimeStampedModel
from govservice.sealed import ScrubbedTextField

from .channels import Channel
from .complaints import Complaint


class WorkOrder(TimeStampedModel):
    class Status(models.TextChoices):
        AWAITING_SIGN = "awaiting_sign", _("待签收")
        HANDLING = "handling", _("办理中")
        EXTENSION_REQUESTED = "extension_requested", _("延期待审批")
        RETURNED = "returned", _("已退回")
        ANSWERED = "answered", _("已办结待回访")
        CLOSED = "closed", _("已回访归档")

    class Action(models.TextChoices):
        RECEIVE = "receive", _("接收工单")
        SIGN = "sign", _("签收")
        RETURN = "return", _("退回申请")
        REQUEST_EXTENSION = "request_extension", _("延期申请")
        APPROVE_EXTENSION = "approve_extension", _("同意延期")
        REFUSE_EXTENSION = "refuse_extension", _("不同意延期")
        ANSWER = "answer", _("办结")
        CALLBACK = "callback", _("热线回访")

    class CallbackResult(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
        NOT_SATISFIED = "not_satisfied", _("不满意")

    # The state table: which actions each status allows, and where each leads. A "not satisfied"
    # callback sends the order back to handling (重办); every other callback closes it.
    TRANSITIONS: ClassVar[dict[str, dict[str, str]]] = {
        Status.AWAITING_SIGN: {Action.SIGN: Status.HANDLING, Action.RETURN: Status.RETURNED},
        Status.HANDLING: {
            Action.RETURN: Status.RETURNED,
            Action.REQUEST_EXTENSION: Status.EXTENSION_REQUESTED,
            Action.ANSWER: Status.ANSWERED,
        },
        Status.EXTENSION_REQUESTED: {
            Action.APPROVE_EXTENSION: Status.HANDLING,
            Action.REFUSE_EXTENSION: Status.HANDLING,
        },
        Status.ANSWERED: {Action.CALLBACK: Status.CLOSED},
        Status.RETURNED: {},
        Status.CLOSED: {},
    }
    # Actions that need a reason (the hotline reads it).
    REASON_REQUIRED: ClassVar[frozenset[str]] = frozenset(
        {Action.RETURN, Action.REQUEST_EXTENSION, Action.REFUSE_EXTENSION, Action.ANSWER}
    )

    complaint = models.OneToOneField(
        Complaint, verbose_name=_("投诉建议"), on_delete=models.CASCADE, related_name="work_order"
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("热线平台"), on_delete=models.PROTECT, related_name="work_orders"
    )
    order_no = models.CharField(_("工单编号"), max_length=64)
    status = models.CharField(_("工单状态"), max_length=30, choices=Status.choices, default=Status.AWAITING_SIGN)
    # The stage clocks, end of a working day each; the working days they were given are kept so the
    # warnings know how much of the time has gone (complaints/work_order_clock.py).
    sign_due_at = models.DateTimeField(_("签收期限"))
    sign_working_days = models.PositiveSmallIntegerField(_("签收时限(工作日)"))
    return_due_at = models.DateTimeField(_("退回期限"))
    handle_due_at = models.DateTimeField(_("办理期限"))
    handle_working_days = models.PositiveSmallIntegerField(_("办理时限(工作日)"))
    due_provisional = models.BooleanField(_("期限暂定"), default=False)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("申请延期(工作日)"), null=True, blank=True)
    extension_reason = ScrubbedTextField(_("延期理由"), blank=True)
    extension_requested_at = models.DateTimeField(_("延期申请时间"), null=True, blank=True)
    extension_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("延期申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    extended_days = models.PositiveSmallIntegerField(_("已批准延期(工作日)"), default=0)
    callback_result = models.CharField(_("回访结果"), max_length=30, choices=CallbackResult.choices, blank=True)
    callback_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    rounds = models.PositiveSmallIntegerField(_("办理轮次"), default=1)

    class Meta:
        verbose_name = _("12345工单")
        verbose_name_plural = _("12345工单")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "order_no"], name="work_order_unique_per_platform"),
            models.CheckConstraint(condition=~models.Q(order_no=""), name="work_order_number_not_blank"),
            models.CheckConstraint(
                condition=models.Q(extension_days__isnull=True) | models.Q(extension_days__gte=1),
                name="work_order_extension_days_positive",
            ),
        ]
        indexes = [models.Index(fields=["status", "handle_due_at"])]

    def __str__(self) -> str:
        return self.order_no

    def get_absolute_url(self) -> str:
        return self.complaint.get_absolute_url()

    @property
    def centre_id(self) -> int:
        return self.complaint.centre_id

    @property
    def owner_id(self) -> int | None:
        return self.complaint.owner_id


class WorkOrderEvent(models.Model):
    """One step of a work order, in order; the hotline's send-back follows these rows."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30, choices=WorkOrder.Action.choices)
    old_status = models.CharField(max_length=30, blank=True)
    new_status = models.CharField(max_length=30)
    # Empty when the hotline platform itself acted (the order's arrival, its callback result).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    by_platform = models.BooleanField(default=False)
    note = ScrubbedTextField(blank=True)
    days = models.PositiveSmallIntegerField(null=True, blank=True)
    callback_result = models.CharField(max_length=30, choices=WorkOrder.CallbackResult.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.action} {self.old_status} → {self.new_status}"
