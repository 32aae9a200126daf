from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access
from govservice.navigation import NavItem
from staff.models import User


def nav_items(user: User) -> list[NavItem]:
    from .models import Handover

    items: list[NavItem] = []
    section = _("办件")
    if access.can_use_case_desk(user):
        offers = Handover.objects.filter(to_user=user, state=Handover.State.OFFERED).count()
        items += [
            NavItem(
                _("我的办件"),
                reverse("cases:list"),
                _("我承办的、我首问的办件，逾期的排在最前。"),
                section,
                offers or None,
            ),
            NavItem(_("登记办件"), reverse("cases:new"), _("选择事项、勾选材料、登记申请人，可容缺受理。"), section),
            NavItem(_("电话提醒"), reverse("cases:calls"), _("今天要拨打的补正提醒电话，记录通话结果。"), section),
        ]
    if access.can_use_assistance_desk(user):
        items.append(
            NavItem(_("帮办代办"), reverse("cases:assistance"), _("帮办的办件、每月帮办量与满意度。"), section)
        )
    return items
