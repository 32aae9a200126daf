"""SMS templates: each save is a new version; the newest active one is current."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from govservice.exceptions import ValidationFailed
from staff.models import User

from ..models import SmsEvent, SmsMessage, SmsTemplate

logger = logging.getLogger(__name__)

Status = SmsMessage.Status
Kind = SmsEvent.Kind


def sms_template_current(*, code: str) -> SmsTemplate | None:
    """The newest version of a template, or None if there is none or it was switched off."""
    template = SmsTemplate.objects.filter(code=code).order_by("-version").first()
    if template is None or not template.is_active:
        return None
    return template


@transaction.atomic
def sms_template_publish(
    *,
    code: str,
    name: str,
    sign_name: str,
    provider_template_id: str,
    param_names: list[str],
    text: str,
    allow_night: bool = False,
    is_active: bool = True,
    actor: User | None = None,
) -> SmsTemplate:
    """Save a template as its next version; earlier versions stay as they were sent."""
    _check_template_text(text=text, param_names=param_names)
    # Lock the code's rows so two admins saving at once get versions n+1 and n+2.
    latest = SmsTemplate.objects.select_for_update().filter(code=code).aggregate(latest=Max("version"))["latest"] or 0
    return SmsTemplate.objects.create(
        code=code,
        version=latest + 1,
        name=name,
        sign_name=sign_name,
        provider_template_id=provider_template_id,
        param_names=list(param_names),
        text=text,
        allow_night=allow_night,
        is_active=is_active,
        created_by=actor,
    )


def _check_template_text(*, text: str, param_names: list[str]) -> None:
    if len(set(param_names)) != len(param_names):
        raise ValidationFailed(_("参数名重复。"), field="param_names")
    placeholders = re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", text)
    unknown = sorted(set(placeholders) - set(param_names))
    if unknown:
        raise ValidationFailed(_("正文中的占位符没有对应参数：%(names)s") % {"names": "、".join(unknown)}, field="text")


def template_missing_params(template: SmsTemplate, params: dict[str, Any]) -> list[str]:
    return [name for name in template.param_names if name not in params]
