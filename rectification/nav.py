from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access
from govservice.navigation import NavItem
from staff.models import User


def nav_items(user: User) -> list[NavItem]:
    items: list[NavItem] = []
    # No query here: every page builds the nav. Owners of measures reach them through their notices.
    if access.can_work_on_feedback(user):
        items.append(
            NavItem(
                _("整改台账"),
                reverse("rectification:ledger"),
                _("23 项问题的整改措施、责任人、时限、进展、佐证与销号。"),
                section=_("作风建设"),
            )
        )
    return items
