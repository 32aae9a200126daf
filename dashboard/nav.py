from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access
from govservice.navigation import NavItem
from staff.models import User


def nav_items(user: User) -> list[NavItem]:
    if not access.has_management_role(user):
        return []
    items = []
    if access.is_leader(user):
        items.append(
            NavItem(
                _("待我决定"),
                reverse("dashboard:inbox"),
                _("评分申诉、销号验收、办不成事、逾期投诉、值班空缺：等您决定的事项，按截止时间排列。"),
                section=_("作风建设"),
                # Loaded after the page: counting the inbox costs queries no page should wait for.
                key="inbox",
                badge_url=reverse("dashboard:inbox-badge"),
            )
        )
    items.append(
        NavItem(
            _("领导驾驶舱"),
            reverse("dashboard:dashboard"),
            _("今日待决策事项、投诉与满意度、整改进展、办件与帮办。"),
            section=_("作风建设"),
        )
    )
    items.append(
        NavItem(
            _("每周简报"),
            reverse("dashboard:digest"),
            _("上周数据与前一周比较、逾期事项、投诉最多的类别与问题、服务之星、值班空缺；可下载 PDF。"),
            section=_("作风建设"),
        )
    )
    return items
