from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access, metrics
from govservice.navigation import NavItem
from staff.models import User

from . import selectors


def nav_items(user: User) -> list[NavItem]:
    items = [
        NavItem(
            _("我的通知"),
            reverse("notifications:notice-list"),
            _("系统发给您的提醒与告知，未读的标有数字。"),
            badge=selectors.notice_unread_count(user=user) or None,
        )
    ]
    if access.can_see_outbox(user):
        items.append(
            NavItem(
                _("短信发件箱"),
                reverse("notifications:sms-list"),
                _("短信提醒的发送状态；发送失败的需要跟进。"),
                section=_("管理"),
                badge=int(metrics.value("sms_failed", user) or 0) or None,
                badge_metric="sms_failed",
            )
        )
    return items
