"""The core's menu items: the working calendar (holidays and make-up working days, a year at a time) and
the person's own background exports."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from . import access
from .exports import kinds_for
from .navigation import NavItem

# Shown with the other administration items, after the staff app's (the core comes first in INSTALLED_APPS).
NAV_AFTER = "staff"


def nav_items(user: access.Actor) -> list[NavItem]:
    items = []
    if access.can_edit_work_calendar(user):
        items.append(
            NavItem(
                _("工作日历"),
                reverse("calendar-years"),
                _("按年度录入法定节假日与调休上班日，保存后重新计算各类期限。"),
                section=_("管理"),
            )
        )
    if kinds_for(user):
        items.append(
            NavItem(_("我的导出"), reverse("exports"), _("后台生成的 Excel 导出，7 天内可下载。"), section=_("管理"))
        )
    return items
