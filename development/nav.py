"""Development's menu section (队伍建设): service-star scores, training, mentors and role-swap, by role."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access
from govservice.navigation import NavItem
from staff.models import User

# The section sits right after staff's items, where it was before development became its own app.
NAV_AFTER = "staff"


def nav_items(user: User) -> list[NavItem]:
    """Service-star scores, training, mentors and role-swap, by role."""
    items = []
    section = _("队伍建设")
    if access.is_window_staff(user):
        items.append(
            NavItem(
                _("我的服务之星评分"), reverse("staff:my-score"), _("每月得分、各项指标的计分依据和申诉。"), section
            )
        )
    manager = access.has_management_role(user)
    if not manager and access.is_mentor(user):
        items.append(NavItem(_("我的学员"), reverse("staff:mentors"), _("登记现场指导、案例复盘和模拟考核。"), section))
    if not manager and access.is_window_staff(user):
        items.append(NavItem(_("换位体验"), reverse("staff:role-swap"), _("本人的换位体验计划和报告。"), section))
    if manager:
        items += [
            NavItem(
                _("服务之星月度评分"),
                reverse("staff:score-months"),
                _("预览、锁定、申诉处理、末位跟进和人事导出。"),
                section,
            ),
            NavItem(_("抽查与人工录入"), reverse("staff:score-inputs"), _("监督抽查记录和带理由的人工录入。"), section),
            NavItem(
                _("分层分类培训"), reverse("staff:training"), _("年度计划与实际、培训场次、签到和缺训名单。"), section
            ),
            NavItem(
                _("业务导师"), reverse("staff:mentors"), _("导师结对、履职记录、缺项提醒和独立上岗时间。"), section
            ),
            NavItem(
                _("换位体验"),
                reverse("staff:role-swap"),
                _("季度体验计划、体验报告，发现的问题一键列入台账。"),
                section,
            ),
        ]
    return items
