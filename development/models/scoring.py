"""Service-star scoring (服务之星): schemes versioned by month, inputs, monthly runs, results, appeals.

A scheme is in force from its `valid_from` month until the next version of the same
centre starts, so re-running an old month always uses the version that was in force
then. Once a locked run has used a scheme, its indicators are frozen: changes go into
a new version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from staff.models import Centre, TimeStampedModel, Window


class Source(models.TextChoices):
    EVALUATIONS = "evaluations", _("群众评价")
    COMPLAINTS = "complaints", pgettext_lazy("data source", "投诉")
    CASES = "cases", _("办件")
    SPOT_CHECKS = "spot_checks", _("监督抽查")
    MANUAL = "manual", _("人工录入")


class Formula(models.TextChoices):
    RATIO = "ratio", _("比率")
    AVERAGE = "average", _("平均值")
    COUNT = "count", _("计数")
    DEDUCTION = "deduction", _("扣分")


class Metric(models.TextChoices):
    """What is measured; each metric belongs to one source and suits some formulas."""

    EVAL_AVERAGE_LEVEL = "eval_average_level", _("平均评价等级")
    EVAL_LEVEL_SHARE = "eval_level_share", _("评价等级不低于阈值的比例")
    EVAL_BAD_COUNT = "eval_bad_count", _("差评数")
    COMPLAINT_COUNT = "complaint_count", _("投诉数")
    CASES_COMPLETED = "cases_completed", _("办结件数")
    CASES_ACCEPTED = "cases_accepted", _("受理件数")
    CASES_ON_TIME_SHARE = "cases_on_time_share", _("按时办结率")
    CASES_OVERDUE = "cases_overdue", _("超期办结件数")
    SPOT_RESPONSE_WITHIN_SHARE = "spot_response_within_share", _("咨询响应不超过阈值秒数的比例")
    SPOT_RESPONSE_AVERAGE = "spot_response_average", _("平均咨询响应秒数")
    SPOT_NOTIFICATION_SHARE = "spot_notification_share", _("一次性告知准确率")
    SPOT_ETIQUETTE_AVERAGE = "spot_etiquette_average", _("礼仪规范平均分")
    SPOT_VIOLATIONS = "spot_violations", _("违纪次数")
    MANUAL_SUM = "manual_sum", _("人工录入合计")
    MANUAL_AVERAGE = "manual_average", _("人工录入平均")


# metric -> (source, formulas it can feed)
METRIC_RULES: dict[str, tuple[str, frozenset[str]]] = {
    Metric.EVAL_AVERAGE_LEVEL: (Source.EVALUATIONS, frozenset({Formula.AVERAGE})),
    Metric.EVAL_LEVEL_SHARE: (Source.EVALUATIONS, frozenset({Formula.RATIO})),
    Metric.EVAL_BAD_COUNT: (Source.EVALUATIONS, frozenset({Formula.COUNT, Formula.DEDUCTION})),
    Metric.COMPLAINT_COUNT: (Source.COMPLAINTS, frozenset({Formula.COUNT, Formula.DEDUCTION})),
    Metric.CASES_COMPLETED: (Source.CASES, frozenset({Formula.COUNT})),
    Metric.CASES_ACCEPTED: (Source.CASES, frozenset({Formula.COUNT})),
    Metric.CASES_ON_TIME_SHARE: (Source.CASES, frozenset({Formula.RATIO})),
    Metric.CASES_OVERDUE: (Source.CASES, frozenset({Formula.COUNT, Formula.DEDUCTION})),
    Metric.SPOT_RESPONSE_WITHIN_SHARE: (Source.SPOT_CHECKS, frozenset({Formula.RATIO})),
    Metric.SPOT_RESPONSE_AVERAGE: (Source.SPOT_CHECKS, frozenset({Formula.AVERAGE})),
    Metric.SPOT_NOTIFICATION_SHARE: (Source.SPOT_CHECKS, frozenset({Formula.RATIO})),
    Metric.SPOT_ETIQUETTE_AVERAGE: (Source.SPOT_CHECKS, frozenset({Formula.AVERAGE})),
    Metric.SPOT_VIOLATIONS: (Source.SPOT_CHECKS, frozenset({Formula.COUNT, Formula.DEDUCTION})),
    Metric.MANUAL_SUM: (Source.MANUAL, frozenset({Formula.COUNT, Formula.DEDUCTION})),
    Metric.MANUAL_AVERAGE: (Source.MANUAL, frozenset({Formula.AVERAGE})),
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


class ScoringScheme(TimeStampedModel):
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="scoring_schemes")
    name = models.CharField(_("方案名称"), max_length=100)
    valid_from = models.DateField(_("起用月份"), help_text=_("该月 1 日；直到下一版本起用前一直有效"))
    min_evaluations = models.PositiveSmallIntegerField(
        _("参与排名的最少评价数"), default=10, help_text=_("当月有效评价少于此数的人员列为“不参与排名”")
    )
    # The ranking policy: a centre may change it with a new scheme version, so a locked month keeps
    # the policy it was ranked with. The defaults are the original rule (10 %, 5 %, at least 1 from 20).
    star_share = models.DecimalField(
        _("服务之星比例"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.10"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("参与排名人数的该比例（向上取整）评为服务之星，如 0.10 即 10%"),
    )
    bottom_share = models.DecimalField(
        _("末位比例"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.05"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("参与排名人数的该比例（向下取整）列为末位，如 0.05 即 5%"),
    )
    bottom_min_headcount = models.PositiveSmallIntegerField(
        _("至少一名末位的排名人数"),
        default=20,
        help_text=_("参与排名人数达到此数时，按比例不足一人也列一名末位"),
    )
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        db_table = "staff_scoringscheme"  # kept from when the model was staff's
        verbose_name = _("服务之星评分方案")
        verbose_name_plural = _("服务之星评分方案")
        ordering = ["centre", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "valid_from"], name="scoring_scheme_one_version_per_month"),
            models.CheckConstraint(condition=models.Q(valid_from__day=1), name="scoring_scheme_starts_on_first"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from:%Y-%m})"

    def clean(self) -> None:
        if self.valid_from and self.valid_from.day != 1:
            raise ValidationError({"valid_from": _("起用月份必须是某月 1 日。")})

    @property
    def is_frozen(self) -> bool:
        """Used by a locked month: changing it would change a published result."""
        return self.pk is not None and self.runs.filter(status=ScoringRun.Status.LOCKED).exists()


class Dimension(models.Model):
    scheme = models.ForeignKey(
        ScoringScheme, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="dimensions"
    )
    code = models.SlugField(_("编码"), max_length=30)
    name = models.CharField(_("维度"), max_length=50)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        db_table = "staff_dimension"  # kept from when the model was staff's
        verbose_name = _("评分维度")
        verbose_name_plural = _("评分维度")
        ordering = ["scheme", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="dimension_code_unique_per_scheme")]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    scheme = models.ForeignKey(
        ScoringScheme, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="indicators"
    )
    dimension = models.ForeignKey(
        Dimension, verbose_name=_("维度"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.SlugField(_("编码"), max_length=30)
    name = models.CharField(_("指标"), max_length=100)
    source = models.CharField(_("数据来源"), max_length=20, choices=Source.choices)
    metric = models.CharField(_("计量口径"), max_length=40, choices=Metric.choices)
    formula = models.CharField(_("计分方式"), max_length=20, choices=Formula.choices)
    threshold = models.DecimalField(
        _("口径阈值"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("如咨询响应 30 秒、评价等级 5（非常满意）"),
    )
    target = models.DecimalField(
        _("目标值"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("比率填小数（1 = 100%）；平均值、计数填达到满分的数值"),
    )
    lower_is_better = models.BooleanField(_("越低越好"), default=False, help_text=_("仅用于平均值，如响应秒数"))
    per_unit = models.DecimalField(
        _("每次扣分"), max_digits=6, decimal_places=2, null=True, blank=True, help_text=_("仅用于扣分")
    )
    weight = models.DecimalField(
        _("权重(分)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    normalise_by_volume = models.BooleanField(
        _("按业务量折算"), default=False, help_text=_("计数和扣分：按每 100 件办结件折算，业务量大的人员不吃亏")
    )
    complaint_category = models.CharField(
        _("投诉类别"), max_length=20, blank=True, help_text=_("仅统计该类别的投诉；留空统计全部")
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        db_table = "staff_indicator"  # kept from when the model was staff's
        verbose_name = _("评分指标")
        verbose_name_plural = _("评分指标")
        ordering = ["scheme", "dimension__order", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="indicator_code_unique_per_scheme"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="indicator_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def rule_errors(self) -> dict[str, str]:
        """Why this indicator cannot be computed as configured (empty when it can)."""
        errors: dict[str, str] = {}
        if not self.source:
            errors["source"] = str(_("每个指标都必须有数据来源。"))
            return errors
        rule = METRIC_RULES.get(self.metric)
        if rule is None:
            errors["metric"] = str(_("未知的计量口径。"))
            return errors
        source, formulas = rule
        if source != self.source:
            errors["metric"] = str(_("计量口径与数据来源不一致。"))
        if self.formula not in formulas:
            errors["formula"] = str(_("该计量口径不能用这种计分方式。"))
        if self.formula == Formula.DEDUCTION and not self.per_unit:
            errors["per_unit"] = str(_("扣分指标必须填写每次扣分。"))
        if self.formula in (Formula.RATIO, Formula.AVERAGE, Formula.COUNT) and not self.target:
            errors["target"] = str(_("必须填写目标值。"))
        if self.metric in (Metric.EVAL_LEVEL_SHARE, Metric.SPOT_RESPONSE_WITHIN_SHARE) and self.threshold is None:
            errors["threshold"] = str(_("该计量口径必须填写阈值。"))
        if self.normalise_by_volume and self.formula not in (Formula.COUNT, Formula.DEDUCTION):
            errors["normalise_by_volume"] = str(_("只有计数和扣分指标可以按业务量折算。"))
        if self.normalise_by_volume and self.metric in (Metric.CASES_COMPLETED, Metric.CASES_ACCEPTED):
            errors["normalise_by_volume"] = str(_("业务量指标本身不再按业务量折算。"))
        return errors

    def clean(self) -> None:
        errors = self.rule_errors()
        if errors:
            raise ValidationError(errors)


class SpotCheck(TimeStampedModel):
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
    note = models.TextField(_("记录"), blank=True)

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


class ManualEntry(TimeStampedModel):
    """A figure entered by hand for a manual indicator, always with a reason and an author."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="manual_entries")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="manual_score_entries"
    )
    month = models.DateField(_("月份"))
    indicator_code = models.SlugField(_("指标编码"), max_length=30, help_text=_("按编码对应，方案换版后仍然适用"))
    value = models.DecimalField(_("数值"), max_digits=8, decimal_places=2)
    reason = models.TextField(_("理由"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )

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


class ScoringRun(TimeStampedModel):
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
    note = models.TextField(blank=True)
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
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2)
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


class ScoreAppeal(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("驳回")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="score_appeals")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申诉人"), on_delete=models.PROTECT, related_name="score_appeals"
    )
    month = models.DateField(_("月份"))
    reason = models.TextField(_("申诉理由"))
    indicator_code = models.SlugField(_("所涉指标"), max_length=30, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    corrected_value = models.DecimalField(_("更正后的指标值"), max_digits=12, decimal_places=4, null=True, blank=True)
    decision = models.TextField(_("处理意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

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


class FollowUp(TimeStampedModel):
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
    outcome = models.TextField(_("结果记录"), blank=True)

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
