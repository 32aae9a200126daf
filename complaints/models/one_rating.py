"""一次一评: each centre's limits for counting ratings (one per phone per window per day, device and burst limits).

The rule itself is in complaints/one_rating.py; an evaluation records the rule's outcome in its
`screening` field (empty: it passed) and `superseded_by`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.models import Centre, TimeStampedModel


class Screening(models.TextChoices):
    """Why a rating does not count (一次一评). Stored on the rating beside `excluded` (which is then True)."""

    SUPERSEDED = "superseded", _("同日再次评价，已被替换")
    STAFF_PHONE = "staff_phone", _("工作人员本人手机号")
    BURST = "burst", _("短时间内集中评价")
    DEVICE_LIMIT = "device_limit", _("超过同一设备每日次数")


class OneRatingPolicy(TimeStampedModel):
    """Per-centre limits of 一次一评; a centre without a row uses the defaults below."""

    centre = models.OneToOneField(
        Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="one_rating_policy"
    )
    device_daily_limit = models.PositiveSmallIntegerField(
        _("同一设备每窗口每日计入次数"),
        default=1,
        help_text=_("未留手机号的评价，同一设备对同一窗口每天最多计入的次数；超出的保留但不计入统计。"),
    )
    burst_count = models.PositiveSmallIntegerField(
        _("集中评价判定次数"),
        default=3,
        help_text=_("同一手机号或同一设备在下面的分钟数内评价达到此次数，这些评价均标记为集中评价，不计入统计。"),
    )
    burst_minutes = models.PositiveSmallIntegerField(_("集中评价判定分钟数"), default=5)

    class Meta:
        verbose_name = _("一次一评计数规则")
        verbose_name_plural = _("一次一评计数规则")
        constraints = [
            models.CheckConstraint(condition=models.Q(burst_count__gte=2), name="one_rating_burst_count_at_least_2"),
            models.CheckConstraint(condition=models.Q(burst_minutes__gte=1), name="one_rating_burst_minutes_positive"),
        ]

    def __str__(self) -> str:
        return str(self.centre)

    @classmethod
    def for_centre(cls, centre_id: int) -> OneRatingPolicy:
        policy = cls.objects.filter(centre_id=centre_id).first()
        return policy or cls(centre_id=centre_id)
