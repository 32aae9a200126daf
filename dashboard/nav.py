from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access
from govservice.navigation import NavItem
from staff.models import User


def nav_items(user: User) -> list[NavItem]:
    if not access.has_management_role(user):
        return []
    return [
        NavItem(
            _("领导驾驶舱"),
            reverse("dashboard:dashboard"),
            _("今日待决策事项、投诉与满意度、整改进展、办件与帮办。"),
            section=_("作风建设"),
        ),
        NavItem(
            _("每周简报"),
            reverse("dashboard:digest"),
            _("上周数据与前一周比较、逾期事项、投诉最多的类别与问题、服务之星、值班空缺；可下载 PDF。"),
            section=_("作风建设"),
        ),
    ]
