"""The handling flow a bad rating opens (差评处置)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.models import Centre, TimeStampedModel
from govservice.sealed import ScrubbedTextField
from rectification.models import Problem

from .evaluations import Evaluation


class BadReview(TimeStampedModel):
    """The handling flow a bad review (level ≤ 2) opens: contact, verify, rectify, call back; or appeal."""

    class Status(models.TextChoices):
        OPEN = "open", _("待联系")
        CONTACTED = "contacted", _("已联系待核实")
        RECTIFYING = "rectifying", _("整改中")
        RECTIFIED = "rectified", _("已整改待回访")
        APPEALED = "appealed", _("申诉复核中")
        CLOSED = "closed", _("已办结")
        EXCLUDED = "excluded", _("复核认定无效")

    class Verdict(models.TextChoices):
        TRUE = "true", _("属实")
        PARTLY = "partly", _("部分属实")
        UNTRUE = "untrue", _("不属实")
        MISTAKEN = "mistaken", _("误评")
        MALICIOUS = "malicious", _("恶意差评")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.OPEN: frozenset({Status.CONTACTED}),
        Status.CONTACTED: frozenset({Status.RECTIFYING, Status.RECTIFIED, Status.APPEALED}),
        Status.RECTIFYING: frozenset({Status.RECTIFIED}),
        Status.RECTIFIED: frozenset({Status.CLOSED}),
        Status.APPEALED: frozenset({Status.EXCLUDED, Status.RECTIFYING}),
        Status.CLOSED: frozenset(),
        Status.EXCLUDED: frozenset(),
    }
    APPEALABLE_VERDICTS: ClassVar[frozenset[str]] = frozenset({Verdict.MISTAKEN, Verdict.MALICIOUS})

    # db_constraint=False: the evaluation table is partitioned (a partitioned table cannot be referenced);
    # Django deletes the bad review with its evaluation (on_delete).
    evaluation = models.OneToOneField(
        Evaluation, verbose_name=_("评价"), on_delete=models.CASCADE, related_name="bad_review", db_constraint=False
    )
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="bad_reviews")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_bad_reviews",
    )
    verdict = models.CharField(_("核实结论"), max_length=20, choices=Verdict.choices, blank=True)
    verify_note = ScrubbedTextField(_("核实情况"), blank=True)
    is_complex = models.BooleanField(_("复杂问题"), default=False)
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("台账问题"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bad_reviews",
    )
    contact_due = models.DateField(_("联系时限"))
    rectify_due = models.DateField(_("整改时限"))
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    rectification = ScrubbedTextField(_("整改措施"), blank=True)
    rectified_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    callback_note = ScrubbedTextField(_("回访情况"), blank=True)
    callback_satisfied = models.BooleanField(_("回访满意"), null=True, blank=True)
    appeal_reason = ScrubbedTextField(_("申诉理由"), blank=True)
    appeal_decision = ScrubbedTextField(_("复核意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    contact_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    rectify_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("差评处置")
        verbose_name_plural = _("差评处置")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["centre", "status"])]

    def __str__(self) -> str:
        return f"{self.evaluation} · {self.get_status_display()}"
