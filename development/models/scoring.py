"""Service-star scoring (服务之星): the inputs, monthly runs, results, appeals and follow-ups."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.models import Centre, TimeStampedModel
from govservice.sealed import ScrubbedTextField
from staff.models import Window

from .schemes import Indicator, ScoringScheme


class SpotCheck(PlainConstraintErrors, TimeStampedModel):
    """A monitoring spot check (监督抽查) of one member of staff by an inspector."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="spot_checks")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("被抽查人员"), on_delete=models.PROTECT, related_name="spot_checks"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检查人"), on_delete=models.PROTECT, related_name="spot_checks_made"
    )
    checked_at = models.DateTimeField(_("抽查时间"))
    response_seconds = models.PositiveIntegerField(_("咨询响应(秒)"), null=True, blank=True)
    etiquette_score = models.DecimalField(
        _("礼仪规范(0–10)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    notification_correct = models.BooleanField(_("一次性告知准确"), null=True, blank=True)
    discipline_violations = models.PositiveSmallIntegerField(_("违纪次数"), default=0)
    note = ScrubbedTextField(_("记录"), blank=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "spot_check_etiquette_0_to_10": ConstraintMessage(
            "etiquette_score", lambda obj: _("文明礼仪得分须在 0 至 10 之间。")
        ),
    }

    class Meta:
        db_table = "staff_spotcheck"  # kept from when the model was staff's
        verbose_name = _("监督抽查记录")
        verbose_name_plural = _("监督抽查记录")
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["centre", "checked_at"]), models.Index(fields=["staff", "checked_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(etiquette_score__isnull=True)
                | models.Q(etiquette_score__gte=0, etiquette_score__lte=10),
                name="spot_check_etiquette_0_to_10",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.checked_at:%Y-%m-%d}"


class ManualEntry(PlainConstraintErrors, TimeStampedModel):
    """A figure entered by hand for a manual indicator, always with a reason and an author."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="manual_entries")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="manual_score_entries"
    )
    month = models.DateField(_("月份"))
    indicator_code = models.SlugField(_("指标编码"), max_length=30, help_text=_("按编码对应，方案换版后仍然适用"))
    value = models.DecimalField(_("数值"), max_digits=8, decimal_places=2)
    reason = ScrubbedTextField(_("理由"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "manual_entry_month_first_day": ConstraintMessage("month", lambda obj: _("月份须为当月 1 日。")),
        "manual_entry_has_reason": ConstraintMessage("reason", lambda obj: _("请写明录入理由。")),
    }

    class Meta:
        db_table = "staff_manualentry"  # kept from when the model was staff's
        verbose_name = _("人工录入")
        verbose_name_plural = _("人工录入")
        ordering = ["-month", "staff"]
        indexes = [models.Index(fields=["centre", "month", "indicator_code"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(month__day=1), name="manual_entry_month_first_day"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="manual_entry_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.indicator_code} · {self.value}"


class ScoringRun(PlainConstraintErrors, TimeStampedModel):
    """One centre-month. Preview until a leader locks it; afterwards only appeals change it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        PREVIEW = "preview", _("预览")
        LOCKED = "locked", _("已锁定")
        FAILED = "failed", _("计算失败")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.QUEUED: frozenset({Status.RUNNING, Status.FAILED}),
        # RUNNING → QUEUED only for a stale run whose worker died (see scoring_run_request).
        Status.RUNNING: frozenset({Status.PREVIEW, Status.FAILED, Status.QUEUED}),
        Status.PREVIEW: frozenset({Status.QUEUED, Status.RUNNING, Status.LOCKED}),
        Status.FAILED: frozenset({Status.QUEUED, Status.RUNNING}),
        Status.LOCKED: frozenset(),  # an appeal re-computes in place and stays locked
    }

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="scoring_runs")
    month = models.DateField(_("月份"))
    scheme = models.ForeignKey(
        ScoringScheme,
        verbose_name=_("使用的方案"),
        on_delete=models.PROTECT,
        related_name="runs",
        null=True,
        blank=True,
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    staff_count = models.PositiveIntegerField(_("参评人数"), default=0)
    ranked_count = models.PositiveIntegerField(_("参与排名人数"), default=0)
    computed_at = models.DateTimeField(_("计算完成时间"), null=True, blank=True)
    compute_count = models.PositiveIntegerField(_("计算次数"), default=0)
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("锁定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    error = models.TextField(_("错误信息"), blank=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "scoring_run_one_per_centre_month": ConstraintMessage("month", lambda obj: _("本中心该月已有月度评分。")),
        "scoring_run_month_first_day": ConstraintMessage("month", lambda obj: _("月份须为当月 1 日。")),
    }

    class Meta:
        db_table = "staff_scoringrun"  # kept from when the model was staff's
        verbose_name = _("月度评分")
        verbose_name_plural = _("月度评分")
        ordering = ["centre", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "month"], name="scoring_run_one_per_centre_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="scoring_run_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.centre} · {self.month:%Y-%m}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.LOCKED


class ScoringRunEvent(models.Model):
    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = ScrubbedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "staff_scoringrunevent"  # kept from when the model was staff's
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.run} {self.old_status} → {self.new_status}"


class StaffMonthScore(models.Model):
    run = models.ForeignKey(ScoringRun, verbose_name=_("月度评分"), on_delete=models.CASCADE, related_name="scores")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="month_scores"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # None: no activity at all in the month (无数据) — shown as no data, never as a score, and not ranked.
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    evaluation_points = models.DecimalField(
        _("群众评价得分"), max_digits=6, decimal_places=2, default=0, help_text=_("按指标并列规则比较时使用")
    )
    leave_days = models.DecimalField(_("休假工作日数"), max_digits=4, decimal_places=1, default=0)
    working_days = models.PositiveSmallIntegerField(_("当月工作日数"), default=0)
    pending_complaints = models.PositiveIntegerField(
        _("核实中的投诉"), default=0, help_text=_("尚未核实的投诉不扣分，核实为属实或部分属实后才扣分")
    )
    evaluation_count = models.PositiveIntegerField(_("有效评价数"), default=0)
    cases_completed = models.PositiveIntegerField(_("办结件数"), default=0)
    ranked = models.BooleanField(_("参与排名"), default=False)
    not_ranked_reason = models.CharField(_("不参与排名原因"), max_length=200, blank=True)
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True, help_text=_("同分同名次"))
    position = models.PositiveIntegerField(_("排序位次"), null=True, blank=True, help_text=_("按并列规则排定的先后"))
    is_star = models.BooleanField(_("服务之星"), default=False)
    is_bottom = models.BooleanField(_("末位"), default=False)

    class Meta:
        db_table = "staff_staffmonthscore"  # kept from when the model was staff's
        verbose_name = _("个人月度得分")
        verbose_name_plural = _("个人月度得分")
        ordering = ["run", "position", "staff__username"]
        constraints = [models.UniqueConstraint(fields=["run", "staff"], name="one_score_per_staff_per_run")]

    def __str__(self) -> str:
        return f"{self.staff} · {self.total}"


class IndicatorScore(models.Model):
    staff_score = models.ForeignKey(
        StaffMonthScore, verbose_name=_("个人月度得分"), on_delete=models.CASCADE, related_name="indicator_scores"
    )
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("指标值"), max_digits=12, decimal_places=4, null=True, blank=True)
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    source_count = models.PositiveIntegerField(_("数据条数"), default=0)
    hit_count = models.DecimalField(_("命中数"), max_digits=12, decimal_places=2, null=True, blank=True)
    appeal = models.ForeignKey(
        "ScoreAppeal",
        verbose_name=_("依据申诉"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        db_table = "staff_indicatorscore"  # kept from when the model was staff's
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        ordering = ["staff_score", "indicator__dimension__order", "indicator__order"]
        constraints = [
            models.UniqueConstraint(fields=["staff_score", "indicator"], name="one_value_per_indicator_per_score")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.score}"


class ScoreAppeal(PlainConstraintErrors, TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("驳回")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="score_appeals")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申诉人"), on_delete=models.PROTECT, related_name="score_appeals"
    )
    month = models.DateField(_("月份"))
    reason = ScrubbedTextField(_("申诉理由"))
    indicator_code = models.SlugField(_("所涉指标"), max_length=30, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    corrected_value = models.DecimalField(_("更正后的指标值"), max_digits=12, decimal_places=4, null=True, blank=True)
    total_before = models.DecimalField(_("处理前总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    total_after = models.DecimalField(_("处理后总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    decision = ScrubbedTextField(_("处理意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "one_appeal_per_staff_per_month": ConstraintMessage("month", lambda obj: _("该人员本月已提出过评分申诉。")),
        "upheld_appeal_has_corrected_value": ConstraintMessage(
            "corrected_value", lambda obj: _("申诉成立时须填写更正后的分值。")
        ),
    }

    class Meta:
        db_table = "staff_scoreappeal"  # kept from when the model was staff's
        verbose_name = _("评分申诉")
        verbose_name_plural = _("评分申诉")
        ordering = ["-month", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "month"], name="one_appeal_per_staff_per_month"),
            models.CheckConstraint(
                condition=~models.Q(status="upheld") | models.Q(corrected_value__isnull=False),
                name="upheld_appeal_has_corrected_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.month:%Y-%m}"


class FollowUp(PlainConstraintErrors, TimeStampedModel):
    """Bottom 5 % two months running: an interview by the centre head and off-duty training."""

    class Kind(models.TextChoices):
        INTERVIEW = "interview", _("中心负责人约谈")
        TRAINING = "training", _("离岗培训")

    class Status(models.TextChoices):
        OPEN = "open", _("待完成")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已撤销")

    centre = models.ForeignKey(
        Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="score_follow_ups"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="score_follow_ups"
    )
    month = models.DateField(_("触发月份"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    outcome = ScrubbedTextField(_("结果记录"), blank=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "one_follow_up_per_kind_per_month": ConstraintMessage("kind", lambda obj: _("该人员本月已有同类跟进。")),
    }

    class Meta:
        db_table = "staff_followup"  # kept from when the model was staff's
        verbose_name = _("末位跟进")
        verbose_name_plural = _("末位跟进")
        ordering = ["-month", "staff", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "month", "kind"], name="one_follow_up_per_kind_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.get_kind_display()}"


class FollowUpEvent(models.Model):
    """One line of a follow-up's history: its deadline moved (a year of the working calendar saved)."""

    follow_up = models.ForeignKey(FollowUp, verbose_name=_("末位跟进"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    old_due_date = models.DateField(_("原完成期限"))
    new_due_date = models.DateField(_("新完成期限"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("末位跟进记录")
        verbose_name_plural = _("末位跟进记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.follow_up_id} {self.old_due_date}→{self.new_due_date}"
