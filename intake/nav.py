from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access
from govservice.navigation import NavItem
from staff.models import User


def nav_items(user: User) -> list[NavItem]:
    if not access.can_import(user):
        return []
    return [
        NavItem(
            _("批量导入"),
            reverse("intake:imports"),
            _("导入 12345 工单导出和第三方测评文件，逐行校验，按行列报告错误。"),
            _("群众反馈"),
        )
    ]
