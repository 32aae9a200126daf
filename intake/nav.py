from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access
from govservice.navigation import NavItem
from staff.models import User


def nav_items(user: User) -> list[NavItem]:
    items: list[NavItem] = []
    if access.can_watch_queue(user, user.centre_id) or access.is_city_wide(user):
        items.append(
            NavItem(
                _("实时排队"),
                reverse("intake:queue-live"),
                _("正在等候的群众和各窗口叫号情况，有人等候超过阈值时提醒值班领导。"),
                _("作风建设"),
            )
        )
    if access.can_import(user):
        items.append(
            NavItem(
                _("批量导入"),
                reverse("intake:imports"),
                _("导入 12345 工单导出和第三方测评文件，逐行校验，按行列报告错误。"),
                _("群众反馈"),
            )
        )
    if access.can_see_platform_reconciliation(user):
        items.append(
            NavItem(
                _("平台对账"),
                reverse("intake:platforms"),
                _("推送到 12345 和省好差评平台的消息：每天发送、确认、失败的条数，失败的可重发。"),
                _("群众反馈"),
            )
        )
    return items
