"""Shared by the case services: the permission rule, the row lock, history lines, notices after
commit, applicant validation, tracking numbers and the clock."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from govservice import access
from govservice.exceptions import NotPermitted, ValidationFailed
from govservice.masking import scrub
from govservice.numbers import normalize_id_number, normalize_phone
from govservice.workdays import WorkCalendar
from notifications.services import NoticeText, notice_send
from staff.models import User

from ..clock import clock_compute
from ..models import (
    Case,
    CaseEvent,
    TrackingCounter,
)

NOT_MY_BUSINESS = re.compile(r"不归我|不是我的|不属于我|非本窗口|不关我|找别人|not my (business|job)", re.IGNORECASE)
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def _ensure_can_manage(case: Case, actor: User | None) -> None:
    if actor is not None and not access.can_manage_case(actor, case):
        raise NotPermitted(_("只有当前承办人或中心领导可以办理此办件。"))


def _lock(case_id: int) -> Case:
    return Case.objects.select_for_update().select_related("matter_type", "centre").get(id=case_id)


def _typed(text: str) -> str:
    """A free-text field as a person typed it, trimmed, with any phone or ID-card number masked:
    notes and reasons are shown to every window of the centre and kept for years."""
    return scrub((text or "").strip())


def _event(case: Case, *, kind: str, actor: User | None, note: str = "", **fields: object) -> CaseEvent:
    # Notes quote what people typed (reasons, call notes): masked here too, whichever service wrote them.
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, note=scrub(note), **fields)


def _notify_after_commit(recipients: Iterable[User | None], *, key: str, text: str | NoticeText, url: str) -> None:
    people = {user.id: user for user in recipients if user is not None}

    def send() -> None:
        for user in people.values():
            notice_send(recipient=user, key=key, text=text, url=url)

    transaction.on_commit(send)


def applicant_validate(*, kind: str, id_number: str, phone: str) -> tuple[str, str]:
    """Normalised (id_number, phone); raises ValidationFailed naming the field."""
    id_number = normalize_id_number(id_number)
    phone = normalize_phone(phone)
    if kind == Case.ApplicantKind.PERSON:
        if id_number:
            try:
                id_number = ric.validate(id_number)
            except StdnumError as exc:
                raise ValidationFailed(
                    _("居民身份证号码无效（GB 11643 校验未通过）。"), field="applicant_id_number"
                ) from exc
    elif kind == Case.ApplicantKind.ENTERPRISE:
        if not id_number:
            raise ValidationFailed(_("企业申请人须填写统一社会信用代码。"), field="applicant_id_number")
        try:
            id_number = uscc.validate(id_number)
        except StdnumError as exc:
            raise ValidationFailed(
                _("统一社会信用代码无效（GB 32100 校验未通过）。"), field="applicant_id_number"
            ) from exc
    else:
        raise ValidationFailed(_("申请人类型无效。"), field="applicant_kind")
    if phone and not PHONE_RE.match(phone):
        raise ValidationFailed(_("联系电话格式不正确。"), field="applicant_phone")
    return id_number, phone


def tracking_number_allocate(*, centre_id: int, prefix: str, year: int) -> str:
    """GS-2026-000123. The counter row is locked, so two windows never get the same number."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                TrackingCounter.objects.get_or_create(centre_id=centre_id, year=year)
        except IntegrityError:
            pass  # created concurrently by another request: fine, it exists now
        counter = TrackingCounter.objects.select_for_update().get(centre_id=centre_id, year=year)
        TrackingCounter.objects.filter(id=counter.id).update(last_value=F("last_value") + 1)
        counter.refresh_from_db(fields=["last_value"])
    return f"{prefix or 'GS'}-{year}-{counter.last_value:06d}"


def case_clock(*, case: Case, calendar: WorkCalendar | None = None, today: date | None = None):
    return clock_compute(
        events=case.events.all(), promised_days=case.matter_type.promised_days, calendar=calendar, today=today
    )
