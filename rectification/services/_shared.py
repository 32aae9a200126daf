"""What the ledger's services share: access checks, the event record, notices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import NotFound, NotPermitted, ValidationFailed
from govservice.models import Centre, Department
from staff.models import User, Window
from staff.selectors import scope_to_user

from ..models import Problem, ProblemEvent

if TYPE_CHECKING:
    from notifications.services import NoticeText

Status = Problem.Status


# --- access ----------------------------------------------------------------------------------


def _load_for_update(problem_id: int, actor: User) -> Problem:
    problem = scope_to_user(Problem.objects.select_for_update(), actor).filter(id=problem_id).first()
    if problem is None:
        raise NotFound(_("未找到该问题。"))
    return problem


def can_manage_problem(user: User, problem: Problem) -> bool:
    """govservice.access.can_manage_problem, with the ledger's own query for the measures' owners."""
    return access.can_manage_problem(user, problem, owns_a_measure=lambda: problem.measures.filter(owner=user).exists())


def _require_manage(user: User, problem: Problem) -> None:
    if not can_manage_problem(user, problem):
        raise NotPermitted(_("您不是该问题的责任人或中心领导。"))


def _event(
    problem: Problem,
    actor: User | None,
    kind: str,
    *,
    note: str = "",
    old_status: str = "",
    new_status: str = "",
    changes: dict[str, Any] | None = None,
) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem,
        actor=actor,
        kind=kind,
        note=note,
        old_status=old_status,
        new_status=new_status,
        changes=changes or {},
    )


def _tell(
    user: User | None,
    *,
    key: str,
    text: str | NoticeText,
    url: str,
    sms_template: str = "",
    centre: Centre | None = None,
) -> None:
    """In-app notice, plus an SMS where the person opted in and has a mobile number."""
    from notifications.services import notice_send, sms_enqueue

    if user is None or not user.is_active:
        return
    notice_send(recipient=user, key=key, text=text, url=url)
    if sms_template and user.sms_opt_in and user.mobile:
        sms_enqueue(
            key=f"{key}:sms",
            phone=user.mobile,
            template_code=sms_template,
            params={"text": str(text)[:60]},
            centre=centre,
        )


def _check_same_centre(centre: Centre, **people: User | Department | Window | None) -> None:
    for field, obj in people.items():
        # City-wide people (a city leader as responsible leader) belong to every centre.
        city_wide = isinstance(obj, User) and access.is_city_wide(obj)
        if obj is not None and obj.centre_id != centre.id and not city_wide:
            raise ValidationFailed(_("必须是本中心的人员或部门。"), field=field)


def _diff(obj: Any, fields: dict[str, Any]) -> dict[str, list[str]]:
    changes: dict[str, list[str]] = {}
    for name, value in fields.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = [str(old) if old is not None else "", str(value) if value is not None else ""]
            setattr(obj, name, value)
    return changes
