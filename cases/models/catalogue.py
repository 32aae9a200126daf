"""The matter catalogue: the centre's service matters (事项) and the materials each one asks for."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.models import Centre, Department, TimeStampedModel


class MatterType(PlainConstraintErrors, TimeStampedModel):
    """A service matter (事项) of the centre's catalogue."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="matter_types")
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="matter_types"
    )
    code = models.CharField(_("事项编码"), max_length=40)
    name = models.CharField(_("事项名称"), max_length=200)
    promised_days = models.PositiveSmallIntegerField(_("承诺时限(工作日)"))
    statutory_days = models.PositiveSmallIntegerField(_("法定时限(工作日)"), null=True, blank=True)
    correction_days = models.PositiveSmallIntegerField(
        _("补正时限(工作日)"), default=5, help_text=_("容缺受理的补正期限，不超过承诺时限")
    )
    reminder_offsets = models.CharField(
        _("短信提醒(截止前工作日)"),
        max_length=40,
        default="2,0",
        help_text=_("逗号分隔的工作日数；0 表示截止当天上午"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "matter_type_correction_within_promise": ConstraintMessage(
            "correction_days", lambda obj: _("补正期限不能超过承诺时限（%(n)s 个工作日）。") % {"n": obj.promised_days}
        ),
        "matter_type_code_unique_per_centre": ConstraintMessage(
            "code", lambda obj: _("本中心已有事项编码“%(code)s”。") % {"code": obj.code}
        ),
    }

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项目录")
        ordering = ["centre", "code"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "code"], name="matter_type_code_unique_per_centre"),
            models.CheckConstraint(
                condition=models.Q(correction_days__lte=models.F("promised_days")),
                name="matter_type_correction_within_promise",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def offsets(self) -> list[int]:
        """Reminder offsets in working days before the deadline, largest first; bad parts ignored."""
        values = set()
        for part in self.reminder_offsets.split(","):
            part = part.strip()
            if part.isdigit():
                values.add(int(part))
        return sorted(values or {2, 0}, reverse=True)


class Material(models.Model):
    matter_type = models.ForeignKey(
        MatterType, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="materials"
    )
    name = models.CharField(_("材料名称"), max_length=200)
    is_core = models.BooleanField(_("主要材料"), default=True, help_text=_("主要材料不可容缺；次要材料可容缺后补"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["matter_type", "order", "id"]

    def __str__(self) -> str:
        return self.name
