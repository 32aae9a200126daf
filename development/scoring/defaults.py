"""The default service-star scheme: 7 dimensions, 20 indicators, weights adding up to 100.

Taken from the centre's brief (咨询响应 ≤ 30 秒, 一次性告知准确率 100 %, 群众评价, 业务量, ...)
and the deduction lists of published schemes (扣完为止, never below zero).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from govservice.models import Centre

from ..models import Dimension, Formula, Indicator, Metric, ScoringScheme, Source

D = Decimal

# (code, name, [(code, name, source, metric, formula, weight, options)])
DEFAULT_SCHEME: list[tuple[str, str, list[tuple]]] = [
    (
        "response",
        "响应速度",
        [
            (
                "resp30",
                "咨询响应≤30秒达标率",
                Source.SPOT_CHECKS,
                Metric.SPOT_RESPONSE_WITHIN_SHARE,
                Formula.RATIO,
                6,
                {"threshold": D(30), "target": D(1)},
            ),
            (
                "resp_avg",
                "平均咨询响应时间",
                Source.SPOT_CHECKS,
                Metric.SPOT_RESPONSE_AVERAGE,
                Formula.AVERAGE,
                4,
                {"target": D(30), "lower_is_better": True},
            ),
        ],
    ),
    (
        "accuracy",
        "答复准确",
        [
            (
                "notify",
                "一次性告知准确率",
                Source.SPOT_CHECKS,
                Metric.SPOT_NOTIFICATION_SHARE,
                Formula.RATIO,
                8,
                {"target": D(1)},
            ),
            ("errors", "业务差错", Source.MANUAL, Metric.MANUAL_SUM, Formula.DEDUCTION, 4, {"per_unit": D(2)}),
            ("quiz", "业务知识测试", Source.MANUAL, Metric.MANUAL_AVERAGE, Formula.AVERAGE, 4, {"target": D(100)}),
        ],
    ),
    (
        "citizen",
        "群众评价",
        [
            (
                "eval_avg",
                "平均评价等级",
                Source.EVALUATIONS,
                Metric.EVAL_AVERAGE_LEVEL,
                Formula.AVERAGE,
                8,
                {"target": D(5)},
            ),
            (
                "very_sat",
                "非常满意率",
                Source.EVALUATIONS,
                Metric.EVAL_LEVEL_SHARE,
                Formula.RATIO,
                8,
                {"threshold": D(5), "target": D("0.95")},
            ),
            (
                "sat",
                "满意率",
                Source.EVALUATIONS,
                Metric.EVAL_LEVEL_SHARE,
                Formula.RATIO,
                4,
                {"threshold": D(4), "target": D(1)},
            ),
            ("bad", "差评", Source.EVALUATIONS, Metric.EVAL_BAD_COUNT, Formula.DEDUCTION, 4, {"per_unit": D(2)}),
        ],
    ),
    (
        "volume",
        "业务量",
        [
            ("completed", "办结件数", Source.CASES, Metric.CASES_COMPLETED, Formula.COUNT, 8, {"target": D(120)}),
            ("accepted", "受理件数", Source.CASES, Metric.CASES_ACCEPTED, Formula.COUNT, 4, {"target": D(120)}),
        ],
    ),
    (
        "timeliness",
        "办件时效",
        [
            ("on_time", "按时办结率", Source.CASES, Metric.CASES_ON_TIME_SHARE, Formula.RATIO, 8, {"target": D(1)}),
            ("overdue", "超期办结", Source.CASES, Metric.CASES_OVERDUE, Formula.DEDUCTION, 4, {"per_unit": D(2)}),
        ],
    ),
    (
        "discipline",
        "纪律执行",
        [
            (
                "violations",
                "违反工作纪律",
                Source.SPOT_CHECKS,
                Metric.SPOT_VIOLATIONS,
                Formula.DEDUCTION,
                6,
                {"per_unit": D(2)},
            ),
            (
                "complaints",
                "有效投诉（每百件）",
                Source.COMPLAINTS,
                Metric.COMPLAINT_COUNT,
                Formula.DEDUCTION,
                4,
                {"per_unit": D(2), "normalise_by_volume": True},
            ),
            (
                "disc_compl",
                "纪律类投诉",
                Source.COMPLAINTS,
                Metric.COMPLAINT_COUNT,
                Formula.DEDUCTION,
                3,
                {"per_unit": D(3), "complaint_category": "discipline"},
            ),
        ],
    ),
    (
        "etiquette",
        "服务礼仪",
        [
            (
                "etiquette",
                "礼仪规范",
                Source.SPOT_CHECKS,
                Metric.SPOT_ETIQUETTE_AVERAGE,
                Formula.AVERAGE,
                5,
                {"target": D(10)},
            ),
            (
                "attitude",
                "服务态度投诉",
                Source.COMPLAINTS,
                Metric.COMPLAINT_COUNT,
                Formula.DEDUCTION,
                3,
                {"per_unit": D("1.5"), "complaint_category": "attitude"},
            ),
            ("appearance", "仪容仪表", Source.MANUAL, Metric.MANUAL_SUM, Formula.DEDUCTION, 2, {"per_unit": D("0.5")}),
            ("praise", "群众表扬", Source.MANUAL, Metric.MANUAL_SUM, Formula.COUNT, 3, {"target": D(2)}),
        ],
    ),
]


@transaction.atomic
def scheme_create_default(*, centre: Centre, valid_from: date, min_evaluations: int = 10) -> ScoringScheme:
    scheme, created = ScoringScheme.objects.get_or_create(
        centre=centre,
        valid_from=valid_from.replace(day=1),
        defaults={"name": "服务之星月度评分方案", "min_evaluations": min_evaluations},
    )
    if not created:
        return scheme
    for d_order, (d_code, d_name, indicators) in enumerate(DEFAULT_SCHEME, start=1):
        dimension = Dimension.objects.create(scheme=scheme, code=d_code, name=d_name, order=d_order)
        Indicator.objects.bulk_create(
            Indicator(
                scheme=scheme,
                dimension=dimension,
                code=code,
                name=name,
                source=source,
                metric=metric,
                formula=formula,
                weight=D(weight),
                order=i_order,
                **options,
            )
            for i_order, (code, name, source, metric, formula, weight, options) in enumerate(indicators, start=1)
        )
    return scheme
