from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice.navigation import NavItem
from staff.models import Role, User


def nav_items(user: User) -> list[NavItem]:
    items: list[NavItem] = []
    managers = (Role.LEADER, Role.CITY_LEADER, Role.CENTRE_ADMIN, Role.CITY_ADMIN, Role.LIAISON)
    # No query here: every page builds the nav. Owners of measures reach them through their notices.
    if user.has_role(*managers):
        items.append(
            NavItem(
                _("整改台账"),
                reverse("rectification:ledger"),
                _("23 项问题的整改措施、责任人、时限、进展、佐证与销号。"),
                section=_("作风建设"),
            )
        )
    return items
