"""Ratings (好差评): the five levels, the rating, its tags, history, daily counts and SMS invitations."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govservice.categories import ProblemCategory
from govservice.crypto import EncryptedCharField, LookupHashField
from govservice.models import Centre, TimeStampedModel
from govservice.sealed import ScrubbedCharField, ScrubbedTextField, sealed_copy
from staff.models import Window

from .channels import Channel
from .one_rating import Screening


class EvaluationLevel(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


BAD_REVIEW_LEVELS = (EvaluationLevel.DISSATISFIED, EvaluationLevel.VERY_DISSATISFIED)


class Evaluation(TimeStampedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # db_index=False on the foreign keys below: each is served by an index of Meta.indexes that leads with it
    # (docs/indexes.md gives the query of each); a nullable one's index leaves out the rows without it.
    centre = models.ForeignKey(
        Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="evaluations", db_index=False
    )
    # No index of its own: no query reads a channel's evaluations apart from its external ids (the unique
    # constraint below); a channel is deleted by hand, rarely, and then the check may scan (docs/indexes.md).
    channel = models.ForeignKey(
        Channel, verbose_name=_("渠道"), on_delete=models.PROTECT, related_name="evaluations", db_index=False
    )
    window = models.ForeignKey(
        Window,
        verbose_name=_("窗口"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluations",
        db_index=False,
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被评价人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluations",
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
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=pgettext_lazy("one case", "办件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluations",
        db_index=False,
    )
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=EvaluationLevel.choices)
    text = ScrubbedTextField(_("评价内容"), blank=True, keep_original=True)
    text_sealed = sealed_copy()
    tags = models.JSONField(_("评价标签"), default=list, blank=True)
    is_real_name = models.BooleanField(_("实名评价"), default=False)
    evaluator_name = ScrubbedCharField(_("评价人"), max_length=100, blank=True)
    evaluator_phone = EncryptedCharField(_("评价人电话"), blank=True)
    evaluator_phone_hash = LookupHashField(lookup_source="evaluator_phone", max_length=64, blank=True, editable=False)
    external_id = models.CharField(_("渠道记录编号"), max_length=100, blank=True)
    excluded = models.BooleanField(_("不计入统计"), default=False, help_text=_("核实为误评、恶意差评或本人触发的评价"))
    excluded_reason = ScrubbedCharField(_("不计入原因"), max_length=200, blank=True)
    rated_at = models.DateTimeField(_("评价时间"))
    follow_up_of = models.OneToOneField(
        "self",
        verbose_name=_("追评对象"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_up",
        # The self references have no database constraint (the table is partitioned by month on PostgreSQL and a
        # partitioned table cannot be referenced); Django cascades / sets NULL (on_delete). On PostgreSQL the
        # one-to-one's uniqueness is kept by a trigger (complaints/evaluation_uniques.py).
        db_constraint=False,
    )
    # 一次一评 (complaints/one_rating.py): why the rating does not count (empty: it passed the rule;
    # `excluded` is True whenever this is set), the later rating of the same phone, window and day that
    # replaced it, and the keyed hash of the citizen's own device (the rating page's cookie).
    screening = models.CharField(_("一次一评核查"), max_length=20, choices=Screening.choices, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("被替换为"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supersedes",
        db_index=False,
        db_constraint=False,
    )
    device_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价（好差评）")
        ordering = ["-rated_at"]
        # On PostgreSQL the table is partitioned by month of rated_at (migration 0016): the two UniqueConstraints
        # below and follow_up_of's uniqueness are kept there by triggers raising the same IntegrityError under the
        # same names, public_id's by the unique (public_id, rated_at) (complaints/evaluation_uniques.py).
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="evaluation_level_1_to_5"),
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="evaluation_external_id_unique_per_channel",
            ),
            # 一事一评: one first rating per case; the follow-up (追评) hangs off it.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(case__isnull=False, follow_up_of__isnull=True),
                name="evaluation_once_per_case",
            ),
        ]
        indexes = [
            # Covering: the leader dashboard's satisfaction figures are read from the index alone,
            # without visiting the wide evaluation rows. Key columns rather than INCLUDE, which
            # SQLite (tests, development) would ignore with a warning; (centre, rated_at) leads.
            models.Index(
                fields=["centre", "rated_at", "window", "channel", "level", "excluded"],
                name="evaluation_centre_rated_cover",
            ),
            # Partial indexes: a row without the value (most channel ratings name no staff, window, case,
            # matter, phone or device) costs its insert nothing here, and every query that uses one asks for
            # a value, which PostgreSQL proves implies the condition (docs/indexes.md).
            models.Index(fields=["staff", "rated_at"], condition=Q(staff__isnull=False), name="evaluation_staff_rated"),
            models.Index(
                fields=["window", "rated_at"], condition=Q(window__isnull=False), name="evaluation_window_rated"
            ),
            models.Index(fields=["case"], condition=Q(case__isnull=False), name="evaluation_case"),
            models.Index(fields=["matter_type"], condition=Q(matter_type__isnull=False), name="evaluation_matter"),
            models.Index(
                fields=["superseded_by"], condition=Q(superseded_by__isnull=False), name="evaluation_superseded_by"
            ),
            models.Index(
                fields=["evaluator_phone_hash"], condition=~Q(evaluator_phone_hash=""), name="evaluation_phone_hash"
            ),
            models.Index(fields=["device_hash"], condition=~Q(device_hash=""), name="evaluation_device_hash"),
            # Covering for the monthly service-star run (evaluation_counts_by_staff): one centre-month's counted
            # ratings per person from the index alone; without it each rating's heap page is visited (8,000 pages
            # a centre-month at province scale, docs/indexes.md). Key columns, not INCLUDE (SQLite, as above).
            models.Index(
                fields=["centre", "rated_at", "staff", "level", "id"],
                condition=Q(staff__isnull=False, excluded=False),
                name="evaluation_scoring_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.rated_at:%Y-%m-%d}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_REVIEW_LEVELS


class EvaluationDayCount(models.Model):
    """How many evaluations counted in the statistics (not excluded) a centre received on one
    local day (TIME_ZONE), by window, channel and level: the leader dashboard reads these few
    rows instead of scanning a million evaluations.

    Written only by database triggers on the evaluation table (govservice/rollups.py), in the
    same transaction as each insert, update and delete, whatever wrote the evaluation: a
    service, bulk_create, QuerySet.update(), a window's deletion setting `window` to NULL, raw
    SQL. `manage.py rebuild_dashboard_rollups` recomputes it from the evaluations.
    """

    # Plain integers to the database (no foreign-key constraints): a constraint would lock the
    # referenced centre, window and channel rows on every evaluation insert. The ORM relations
    # are kept for joins (the department of a window) and scoping; the unique key is the only index.
    centre = models.ForeignKey(
        Centre, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    window = models.ForeignKey(
        Window, null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    level = models.PositiveSmallIntegerField(choices=EvaluationLevel.choices)
    # The writing connection's shard of the counter (govservice/rollups.py): readers sum the
    # shards, and a shard may go below zero when another connection added what this one removes.
    shard = models.PositiveSmallIntegerField(db_default=0)
    n = models.IntegerField()

    class Meta:
        constraints = [
            # The triggers' ON CONFLICT target. A window of NULL is one key (COALESCE), not
            # distinct NULLs; (centre, day) lead, for the dashboard's range read; one row per shard.
            models.UniqueConstraint(
                models.F("centre"),
                models.F("day"),
                Coalesce(models.F("window"), models.Value(0)),
                models.F("channel"),
                models.F("level"),
                models.F("shard"),
                name="evaluation_day_count_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day} {self.window_id} {self.channel_id} {self.level}: {self.n}"


class EvaluationTag(models.Model):
    """A level-specific tag offered on the rating page (e.g. offline: efficiency, competence, attitude)."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    label = models.CharField(_("名称"), max_length=50)
    levels = models.JSONField(_("适用等级"), default=list, help_text=_("如 [1, 2] 表示只在差评时出现"))
    category = models.CharField(_("对应问题类别"), max_length=20, choices=ProblemCategory.choices, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("评价标签")
        verbose_name_plural = _("评价标签")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label


class EvaluationEvent(models.Model):
    """History of an evaluation: submitted, excluded, follow-up, and every bad-review step."""

    # db_constraint=False: the evaluation table is partitioned (a partitioned table cannot be referenced);
    # Django deletes the events with their evaluation (on_delete).
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    action = models.CharField(max_length=30)
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = ScrubbedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评价记录")
        verbose_name_plural = _("评价记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.action}"


class EvaluationInvitation(TimeStampedModel):
    """A personal, tokenised SMS link to rate one completed case without login."""

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=pgettext_lazy("one case", "办件"),
        on_delete=models.CASCADE,
        related_name="evaluation_invitation",
    )
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    phone_hash = LookupHashField(lookup_source="case__applicant_phone", max_length=64, db_index=True)
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")

    def __str__(self) -> str:
        return f"{self.case_id}"
