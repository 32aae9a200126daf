from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access
from govservice.navigation import NavItem

from .models import User


def nav_items(user: User) -> list[NavItem]:
    items = [NavItem(_("首页"), reverse("home"))]
    if access.is_leader(user):
        items.append(
            NavItem(
                _("人员在岗与离岗"),
                reverse("people"),
                _("登记缺勤、停用离岗人员，把其未办结的工作转交他人。"),
                section=_("管理"),
            )
        )
    if access.can_use_admin_site(user):
        items.append(
            NavItem(
                _("基础数据管理"),
                reverse("admin:index"),
                _("中心、窗口、人员、事项、渠道、节假日与评分方案等基础数据。"),
                section=_("管理"),
            )
        )
    items.append(NavItem(_("接口文档"), reverse("api-docs"), section=_("管理")))
    return items
