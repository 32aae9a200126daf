"""Full personal data for those who need it, every view recorded; assisted handling (帮办代办)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice import access
from govservice.exceptions import NotPermitted, ValidationFailed
from govservice.roles import Role
from notifications.services import notice_text
from staff.models import User
from staff.selectors import active_staff_with_roles

from ..models import (
    Assistance,
    AssistanceLog,
    Case,
    CaseEvent,
    Commitment,
    PiiAccess,
)
from ._common import _event, _lock, _notify_after_commit, _typed

logger = logging.getLogger(__name__)
S = Case.Status


def can_see_full_pii(case: Case, user: User) -> bool:
    """Those who must call or identify the applicant: handler, first responder, assigned helper, leaders."""
    if access.can_reveal_personal_data(user, case):
        return True
    try:
        helper_id = case.assistance.helper_id  # selected with the case on its page
    except Assistance.DoesNotExist:
        return False
    return access.can_reveal_personal_data(user, case, helper_id=helper_id)


@transaction.atomic
def case_pii_reveal(*, case: Case, viewer: User, field: str) -> str:
    """The full phone or ID number, for a role that needs it; every view is recorded."""
    if field not in ("phone", "id_number"):
        raise ValidationFailed(_("字段无效。"), field="field")
    if not can_see_full_pii(case, viewer):
        raise NotPermitted(_("您无权查看完整的个人信息。"))
    PiiAccess.objects.create(case=case, viewer=viewer, field=field)
    logger.info("personal data viewed: case=%s field=%s viewer=%s", case.tracking_no, field, viewer.username)
    return case.applicant_phone if field == "phone" else case.applicant_id_number


# Recorded in PiiAccess.field for a printed commitment: the full name and ID number left on paper.
COMMITMENT_PRINT = "commitment_print"


@transaction.atomic
def case_commitment_print(*, case: Case, viewer: User) -> Case:
    """The commitment (承诺书) printed with the applicant's full name and ID number, for them to sign:
    a reveal like any other, allowed to the same people and recorded (who, when)."""
    if not Commitment.objects.filter(case=case).exists():
        raise ValidationFailed(_("该办件没有承诺书。"), field="case")
    if not can_see_full_pii(case, viewer):
        raise NotPermitted(_("您无权打印含完整个人信息的承诺书。"))
    PiiAccess.objects.create(case=case, viewer=viewer, field=COMMITMENT_PRINT)
    logger.info("commitment printed with personal data: case=%s viewer=%s", case.tracking_no, viewer.username)
    return case


# --- assisted handling (帮办代办) ------------------------------------------------------------


@transaction.atomic
def assistance_assign(*, case_id: int, actor: User, helper_id: int) -> Assistance:
    case = _lock(case_id)
    if not access.sees_centre(actor, case.centre_id):
        raise NotPermitted()
    if not case.is_special_group:
        raise ValidationFailed(_("帮办代办面向老年人、残疾人等特殊群体。"), field="case")
    helper = active_staff_with_roles(centre_id=case.centre_id, roles=(Role.HELPER,)).filter(id=helper_id).first()
    if helper is None:
        raise ValidationFailed(_("请选择本中心的帮办员。"), field="helper")
    assistance, created = Assistance.objects.get_or_create(case=case, defaults={"helper": helper, "assigned_by": actor})
    if not created and assistance.helper_id != helper.id:
        assistance.helper, assistance.assigned_by, assistance.assigned_at = helper, actor, timezone.now()
        assistance.save(update_fields=["helper", "assigned_by", "assigned_at"])
    _event(case, kind=CaseEvent.Kind.ASSIST, actor=actor, note=_("指派帮办员 %(helper)s") % {"helper": helper})
    _notify_after_commit(
        [helper],
        key=f"case:{case.id}:assist:{helper.id}",
        text=notice_text(gettext_noop("请为办件 %(no)s 提供帮办代办服务。"), {"no": case.tracking_no}),
        url=case.get_absolute_url(),
    )
    return assistance


@transaction.atomic
def assistance_log_add(*, case_id: int, actor: User, action: str, note: str = "") -> AssistanceLog:
    assistance = Assistance.objects.select_for_update().select_related("case").filter(case_id=case_id).first()
    if assistance is None or assistance.helper_id != actor.id:
        raise NotPermitted(_("只有指派的帮办员可以记录帮办内容。"))
    if action not in AssistanceLog.Action.values:
        raise ValidationFailed(_("请选择帮办内容。"), field="action")
    log = AssistanceLog.objects.create(assistance=assistance, action=action, note=_typed(note), helper=actor)
    _event(
        assistance.case, kind=CaseEvent.Kind.ASSIST, actor=actor, note=f"{log.get_action_display()} {log.note}".strip()
    )
    return log


@transaction.atomic
def assistance_rate(*, case_id: int, actor: User, satisfaction: int) -> Assistance:
    assistance = Assistance.objects.select_for_update().select_related("case").filter(case_id=case_id).first()
    if assistance is None:
        raise ValidationFailed(_("该办件没有帮办代办记录。"), field="case")
    if not access.sees_centre(actor, assistance.case.centre_id):
        raise NotPermitted()
    if assistance.case.status != S.COMPLETED:
        raise ValidationFailed(_("办结后才能记录满意度。"), field="satisfaction")
    if satisfaction not in Assistance.Satisfaction.values:
        raise ValidationFailed(_("满意度无效。"), field="satisfaction")
    assistance.satisfaction, assistance.rated_at = satisfaction, timezone.now()
    assistance.save(update_fields=["satisfaction", "rated_at"])
    return assistance
