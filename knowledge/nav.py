from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from govservice import access
from govservice.navigation import NavItem
from staff.models import User


def nav_items(user: User) -> list[NavItem]:
    section = _("政策问答")
    items = [
        NavItem(
            _("政策问答检索"),
            reverse("knowledge:search"),
            _("按关键词查找政策问答：依据、流程、所需材料，支持同义词与俗称。"),
            section=section,
        )
    ]
    if access.can_review_any_question(user):
        items.append(
            NavItem(
                _("问答编辑"), reverse("knowledge:manage"), _("起草、修改问答，查看版本与审核记录。"), section=section
            )
        )
        items.append(
            NavItem(
                _("每周审核队列"),
                reverse("knowledge:review-queue"),
                _("本部门待审核的问答和被标记有误的答复。"),
                section=section,
            )
        )
    if access.is_administrator(user):
        items.append(NavItem(_("题库导入"), reverse("knowledge:import"), _("从 Excel 导入已有题库。"), section=section))
    return items
