"""Complaints and suggestions, their history and daily counts."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from govservice.categories import ProblemCategory
from govservice.crypto import EncryptedCharField, LookupHashField
from govservice.models import Centre, Department, TimeStampedModel
from govservice.sealed import ScrubbedCharField, ScrubbedTextField, sealed_copy
from rectification.models import Problem
from staff.models import Window

from .channels import Channel
from .evaluations import Evaluation, EvaluationLevel


class Complaint(TimeStampedModel):
    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉")
        SUGGESTION = "suggestion", _("建议")

    class Status(models.TextChoices):
        RECEIVED = "received", _("已受理")
        ASSIGNED = "assigned", _("已分派")
        REPLIED = "replied", _("已答复")
        CLOSED = "closed", _("已办结")
        REOPENED = "reopened", _("重新办理")
        MERGED = "merged", _("已合并")
        # The reply clock stops while the citizen is asked for more (补充材料/说明): see
        # complaints/services/waiting.py; resuming returns to the status it left.
        WAITING_CITIZEN = "waiting_citizen", _("待群众补充")
        # A 12345 work order returned to the hotline as not this centre's (退回): finished here.
        RETURNED = "returned", _("已退回热线")

    class Verdict(models.TextChoices):
        """What verification found (核实结论); blank while the complaint is still being examined."""

        FOUNDED = "founded", _("属实")
        PARTLY = "partly", _("部分属实")
        UNFOUNDED = "unfounded", _("不属实")

    # The verdicts under which a complaint counts against the staff member (service-star scoring).
    FOUNDED_VERDICTS: ClassVar[frozenset[str]] = frozenset({Verdict.FOUNDED, Verdict.PARTLY})

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.RECEIVED: frozenset(
            {Status.ASSIGNED, Status.REPLIED, Status.MERGED, Status.WAITING_CITIZEN, Status.RETURNED}
        ),
        Status.ASSIGNED: frozenset({Status.REPLIED, Status.MERGED, Status.WAITING_CITIZEN, Status.RETURNED}),
        Status.REPLIED: frozenset({Status.CLOSED, Status.REOPENED}),
        Status.REOPENED: frozenset({Status.ASSIGNED, Status.REPLIED, Status.WAITING_CITIZEN}),
        Status.WAITING_CITIZEN: frozenset({Status.RECEIVED, Status.ASSIGNED, Status.REOPENED}),
        Status.CLOSED: frozenset(),
        Status.MERGED: frozenset(),
        Status.RETURNED: frozenset(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_no = models.CharField(_("编号"), max_length=30, unique=True)
    # db_index=False on the foreign keys below: each is served by an index of Meta.indexes (a nullable one's
    # leaves out the rows without it: a complaint from a channel names few of them). docs/indexes.md.
    centre = models.ForeignKey(
        Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="complaints", db_index=False
    )
    channel = models.ForeignKey(Channel, verbose_name=_("渠道"), on_delete=models.PROTECT, related_name="complaints")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.COMPLAINT)
    content = ScrubbedTextField(_("内容"), keep_original=True)
    content_sealed = sealed_copy()
    contact_name = ScrubbedCharField(_("联系人"), max_length=100, blank=True)
    contact_phone = EncryptedCharField(_("联系电话"), blank=True)
    contact_phone_hash = LookupHashField(lookup_source="contact_phone", max_length=64, blank=True, editable=False)
    category = models.CharField(_("问题类别"), max_length=20, choices=ProblemCategory.choices, blank=True)
    window = models.ForeignKey(
        Window,
        verbose_name=_("涉及窗口"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        db_index=False,
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("涉及人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_about",
        db_index=False,
    )
    matter_type = models.ForeignKey(
        "cases.MatterType",
        verbose_name=_("事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_complaints",
        db_index=False,
    )
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("关联台账问题"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        db_index=False,
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    external_id = models.CharField(_("渠道记录编号"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("受理时间"))
    evaluation = models.ForeignKey(
        Evaluation,
        verbose_name=_("来源评价"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        db_index=False,
        # No database constraint: the evaluation table is partitioned (complaints/evaluation_uniques.py) and
        # a partitioned table cannot be referenced; Django sets this to NULL when the evaluation is deleted.
        db_constraint=False,
    )
    reply = ScrubbedTextField(_("答复内容"), blank=True, keep_original=True)
    reply_sealed = sealed_copy()
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    callback_satisfied = models.BooleanField(_("回访满意"), null=True, blank=True)
    callback_note = ScrubbedTextField(_("回访情况"), blank=True, keep_original=True)
    callback_note_sealed = sealed_copy()
    verdict = models.CharField(_("核实结论"), max_length=20, choices=Verdict.choices, blank=True)
    verdict_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_sources",
        db_index=False,
    )
    # The citizen's side (complaints/public_status.py): another way to reach them, or their explicit
    # choice to complain anonymously (no reply can be sent); their one "not solved" (答复未解决) and
    # their one rating of the handling.
    contact_other = EncryptedCharField(_("其他联系方式"), blank=True)
    is_anonymous = models.BooleanField(_("匿名投诉"), default=False)
    citizen_reopened_at = models.DateTimeField(_("群众申请重新办理时间"), null=True, blank=True)
    citizen_reopen_reason = ScrubbedTextField(_("群众认为未解决的理由"), blank=True)
    citizen_rating = models.PositiveSmallIntegerField(
        _("群众对办理的评价"), choices=EvaluationLevel.choices, null=True, blank=True
    )
    citizen_rating_note = ScrubbedTextField(_("群众评价说明"), blank=True)
    citizen_rated_at = models.DateTimeField(_("群众评价时间"), null=True, blank=True)
    # The reply deadline (complaints/deadlines.py): the working days it was given by the centre's rule
    # when it came in, the working days it was paused for the citizen, and the moment they end.
    reply_working_days = models.PositiveSmallIntegerField(_("答复时限(工作日)"), null=True, blank=True)
    # When the clock started: empty for the day it came in; a re-opened complaint (重办) starts anew.
    reply_clock_start = models.DateTimeField(_("答复计时起点"), null=True, blank=True)
    reply_paused_days = models.PositiveSmallIntegerField(_("暂停工作日数"), default=0)
    reply_due_at = models.DateTimeField(_("答复期限"), null=True, blank=True, db_index=True)
    reply_due_provisional = models.BooleanField(_("期限暂定"), default=False)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    paused_from = models.CharField(_("暂停前状态"), max_length=20, choices=Status.choices, blank=True)
    # The highest share (50 / 80 / 100 %) of the reply time already warned about: each warning once.
    reply_warned_level = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("投诉建议")
        verbose_name_plural = _("投诉建议")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="complaint_external_id_unique_per_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "received_at"]),
            models.Index(fields=["centre", "category"]),
            models.Index(fields=["centre", "status"]),
            # Partial: a row without the value costs its insert nothing here; every query that uses one asks
            # for a value (docs/indexes.md).
            *(
                models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"complaint_{name}")
                for name in (
                    "window",
                    "staff",
                    "matter_type",
                    "department",
                    "owner",
                    "problem",
                    "evaluation",
                    "verdict_by",
                    "merged_into",
                )
            ),
            models.Index(
                fields=["contact_phone_hash"], condition=~Q(contact_phone_hash=""), name="complaint_phone_hash"
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_no

    def get_absolute_url(self) -> str:
        return reverse("complaints:complaint-detail", args=[self.public_id])


class ComplaintDeadlineRule(TimeStampedModel):
    """A centre's reply time for complaints from one channel and/or of one type (empty: any).

    The most specific rule wins (channel and type, channel, type, any); a centre without a matching
    rule uses the defaults of practice in complaints/deadlines.py.
    """

    centre = models.ForeignKey(
        Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="complaint_deadline_rules"
    )
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("渠道"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("留空表示任何渠道"),
    )
    kind = models.CharField(
        _("类型"), max_length=20, choices=Complaint.Kind.choices, blank=True, help_text=_("留空表示任何类型")
    )
    working_days = models.PositiveSmallIntegerField(_("答复时限(工作日)"))

    class Meta:
        verbose_name = _("投诉答复时限规则")
        verbose_name_plural = _("投诉答复时限规则")
        ordering = ["centre", "channel", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "channel", "kind"],
                condition=models.Q(channel__isnull=False),
                name="complaint_deadline_rule_unique_channel",
            ),
            models.UniqueConstraint(
                fields=["centre", "kind"],
                condition=models.Q(channel__isnull=True),
                name="complaint_deadline_rule_unique_any_channel",
            ),
            models.CheckConstraint(
                condition=models.Q(working_days__gte=1, working_days__lte=60),
                name="complaint_deadline_rule_days_range",
            ),
        ]

    def __str__(self) -> str:
        channel = self.channel.name if self.channel_id and self.channel else _("任何渠道")
        kind = Complaint.Kind(self.kind).label if self.kind else _("任何类型")
        return f"{channel} · {kind}: {self.working_days}"


class ComplaintDayCount(models.Model):
    """How many complaints a centre received on one local day, by category, department and window.

    Kept by database triggers on the complaint table like `EvaluationDayCount` (govservice/rollups.py).
    """

    centre = models.ForeignKey(
        Centre, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    category = models.CharField(max_length=20, choices=ProblemCategory.choices, blank=True)
    department = models.ForeignKey(
        Department, null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    window = models.ForeignKey(
        Window, null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # The writing connection's shard of the counter (govservice/rollups.py): readers sum the
    # shards, and a shard may go below zero when another connection added what this one removes.
    shard = models.PositiveSmallIntegerField(db_default=0)
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                models.F("centre"),
                models.F("day"),
                models.F("category"),
                Coalesce(models.F("department"), models.Value(0)),
                Coalesce(models.F("window"), models.Value(0)),
                models.F("shard"),
                name="complaint_day_count_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day} {self.category} {self.department_id} {self.window_id}: {self.n}"


class ActorKind(models.TextChoices):
    CITIZEN = "citizen", _("群众（已核验手机尾号）")
    ANONYMOUS = "anonymous", _("匿名群众（凭编号）")


class ComplaintEvent(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # Who acted when `actor` is empty: the citizen on the public status page (verified by the last
    # four digits of their phone) or an anonymous citizen (by the tracking number alone).
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices, blank=True)
    note = ScrubbedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("投诉记录")
        verbose_name_plural = _("投诉记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.old_status} → {self.new_status}"
