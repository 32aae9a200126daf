from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access, metrics
from govservice.navigation import NavItem
from staff.models import User


def nav_items(user: User) -> list[NavItem]:
    section = _("评价与投诉")
    items: list[NavItem] = []
    if access.can_work_on_feedback(user):
        items.append(
            NavItem(
                _("评价与投诉概览"),
                reverse("complaints:overview"),
                _("满意度、差评处置、投诉类别占比与办不成事解决数。"),
                section=section,
            )
        )
    # The badges are the registry's figures (govservice.metrics): the same numbers as the tiles.
    open_complaints = int(metrics.value("complaints_open", user) or 0)
    if access.can_work_on_feedback(user) or open_complaints:
        items.append(
            NavItem(
                _("投诉建议"),
                reverse("complaints:complaint-list"),
                _("归类、分派、答复、回访，合并重复件。"),
                section=section,
                badge=open_complaints or None,
                badge_metric="complaints_open",
            )
        )
    open_bad_count = int(metrics.value("bad_reviews_open", user) or 0)
    if access.can_work_on_feedback(user) or open_bad_count:
        items.append(
            NavItem(
                _("差评处置"),
                reverse("complaints:bad-review-list"),
                _("核实、整改、回访与申诉复核，逾期提醒。"),
                section=section,
                badge=open_bad_count or None,
                badge_metric="bad_reviews_open",
            )
        )
    items.append(
        NavItem(_("评价记录"), reverse("complaints:evaluation-list"), _("好差评明细（五级）。"), section=section)
    )
    if access.can_work_on_feedback(user):
        items.append(NavItem(_("评价统计"), reverse("complaints:report"), section=section))
        items.append(NavItem(_("窗口评价二维码"), reverse("complaints:window-qr-list"), section=section))
    # Liaisons see the matters their department takes part in (the selector narrows the list).
    if access.can_work_on_feedback(user):
        items.append(
            NavItem(
                _("办不成事反映窗口"),
                reverse("complaints:escalation-list"),
                _("值班领导登记，一般 2 个、复杂 5 个工作日内办结。"),
                section=section,
            )
        )
    return items
