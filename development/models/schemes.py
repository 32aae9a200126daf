"""Service-star scoring schemes (服务之星评分方案): versioned by month, with dimensions and indicators.

A scheme is in force from its `valid_from` month until the next version of the same
centre starts, so re-running an old month always uses the version that was in force
then. Once a locked run has used a scheme, its indicators are frozen: changes go into
a new version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.models import Centre, TimeStampedModel


class Source(models.TextChoices):
    EVALUATIONS = "evaluations", _("群众评价")
    COMPLAINTS = "complaints", pgettext_lazy("data source", "投诉")
    CASES = "cases", _("办件")
    SPOT_CHECKS = "spot_checks", _("监督抽查")
    MANUAL = "manual", _("人工录入")
    QUEUE = "queue", _("排队叫号")


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
    # The queue machines' tickets the person called (intake.queue); a new scheme version may use them.
    QUEUE_WAIT_AVERAGE = "queue_wait_average", _("平均等候分钟数")
    QUEUE_WAIT_WITHIN_SHARE = "queue_wait_within_share", _("等候不超过阈值分钟数的比例")
    QUEUE_NO_SHOW_SHARE = "queue_no_show_share", _("过号未到率")


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
    Metric.QUEUE_WAIT_AVERAGE: (Source.QUEUE, frozenset({Formula.AVERAGE})),
    Metric.QUEUE_WAIT_WITHIN_SHARE: (Source.QUEUE, frozenset({Formula.RATIO})),
    Metric.QUEUE_NO_SHOW_SHARE: (Source.QUEUE, frozenset({Formula.AVERAGE})),
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


class TieRule(models.TextChoices):
    """How a tie on the total that straddles the star or bottom line is settled, published with the scheme."""

    ALL_TIED = "all_tied", _("并列者结果相同：同分者全部评为服务之星（末位同理全部列入）")
    INDICATORS = "indicators", _("依次比较群众评价得分、有效评价数、办结件数；仍相同者结果相同")


class ScoringScheme(PlainConstraintErrors, TimeStampedModel):
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
        default=10,
        help_text=_("参与排名人数达到此数时，按比例不足一人也列一名末位"),
    )
    # Versions made before this field existed were given ALL_TIED by the migration: their old
    # last resort (the staff number) is no rule a leader can defend.
    tie_rule = models.CharField(
        _("并列规则"),
        max_length=20,
        choices=TieRule.choices,
        default=TieRule.ALL_TIED,
        help_text=_("同分跨越服务之星或末位分界线时如何处理；在月度评分页上公布"),
    )
    talk_working_days = models.PositiveSmallIntegerField(
        _("提醒谈话期限(工作日)"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("首次末位后，领导须在锁定后的这些工作日内完成提醒谈话"),
    )
    notes = models.TextField(_("说明"), blank=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "scoring_scheme_one_version_per_month": ConstraintMessage(
            "valid_from", lambda obj: _("本中心在该月已有一个评分方案版本。")
        ),
        "scoring_scheme_starts_on_first": ConstraintMessage("valid_from", lambda obj: _("生效月份须从当月 1 日开始。")),
    }

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
        from .scoring import ScoringRun  # runs refer to schemes, so the import goes this way round

        return self.pk is not None and self.runs.filter(status=ScoringRun.Status.LOCKED).exists()


class Dimension(PlainConstraintErrors, models.Model):
    scheme = models.ForeignKey(
        ScoringScheme, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="dimensions"
    )
    code = models.SlugField(_("编码"), max_length=30)
    name = models.CharField(_("维度"), max_length=50)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "dimension_code_unique_per_scheme": ConstraintMessage(
            "code", lambda obj: _("该方案已有维度编码“%(code)s”。") % {"code": obj.code}
        ),
    }

    class Meta:
        db_table = "staff_dimension"  # kept from when the model was staff's
        verbose_name = _("评分维度")
        verbose_name_plural = _("评分维度")
        ordering = ["scheme", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="dimension_code_unique_per_scheme")]

    def __str__(self) -> str:
        return self.name


class Indicator(PlainConstraintErrors, models.Model):
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

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "indicator_code_unique_per_scheme": ConstraintMessage(
            "code", lambda obj: _("该方案已有指标编码“%(code)s”。") % {"code": obj.code}
        ),
        "indicator_weight_positive": ConstraintMessage("weight", lambda obj: _("权重须大于 0。")),
    }

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
        if (
            self.metric in (Metric.EVAL_LEVEL_SHARE, Metric.SPOT_RESPONSE_WITHIN_SHARE, Metric.QUEUE_WAIT_WITHIN_SHARE)
            and self.threshold is None
        ):
            errors["threshold"] = str(_("该计量口径必须填写阈值。"))
        if self.metric in (Metric.QUEUE_WAIT_AVERAGE, Metric.QUEUE_NO_SHOW_SHARE) and not self.lower_is_better:
            errors["lower_is_better"] = str(_("等候时长和过号未到率越低越好，须勾选“越低越好”。"))
        if self.normalise_by_volume and self.formula not in (Formula.COUNT, Formula.DEDUCTION):
            errors["normalise_by_volume"] = str(_("只有计数和扣分指标可以按业务量折算。"))
        if self.normalise_by_volume and self.metric in (Metric.CASES_COMPLETED, Metric.CASES_ACCEPTED):
            errors["normalise_by_volume"] = str(_("业务量指标本身不再按业务量折算。"))
        return errors

    def clean(self) -> None:
        errors = self.rule_errors()
        if errors:
            raise ValidationError(errors)
