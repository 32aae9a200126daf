"""SMS templates: each save is a new version; the newest active one is current."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from govservice.exceptions import ValidationFailed
from staff.models import User

from ..models import SmsTemplate

PARAM_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
    aliyun_template_code: str = "",
    tencent_template_id: str = "",
    text: str,
    allow_night: bool = False,
    is_active: bool = True,
    actor: User | None = None,
) -> SmsTemplate:
    """Save a template as its next version; earlier versions stay as they were sent."""
    template_check(text=text, param_names=param_names)
    # Lock the code's rows so two admins saving at once get versions n+1 and n+2.
    # (No aggregate here: PostgreSQL refuses FOR UPDATE with one. A first version saved twice
    # at once is caught by the (code, version) unique constraint.)
    versions = SmsTemplate.objects.select_for_update().filter(code=code).values_list("version", flat=True)
    latest = max(versions, default=0)
    return SmsTemplate.objects.create(
        code=code,
        version=latest + 1,
        name=name,
        sign_name=sign_name,
        provider_template_id=provider_template_id,
        aliyun_template_code=aliyun_template_code.strip(),
        tencent_template_id=tencent_template_id.strip(),
        param_names=list(param_names),
        text=text,
        allow_night=allow_night,
        is_active=is_active,
        created_by=actor,
    )


def template_check(*, text: str, param_names: object) -> None:
    """Parameter names are a list of distinct identifiers, and every {placeholder} in the text is one of them."""
    if not isinstance(param_names, list) or not all(
        isinstance(name, str) and PARAM_NAME_RE.match(name) for name in param_names
    ):
        raise ValidationFailed(_('参数名须为英文标识符的列表，例如 ["tracking_no", "deadline"]。'), field="param_names")
    if len(set(param_names)) != len(param_names):
        raise ValidationFailed(_("参数名重复。"), field="param_names")
    placeholders = re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", text)
    unknown = sorted(set(placeholders) - set(param_names))
    if unknown:
        raise ValidationFailed(_("正文中的占位符没有对应参数：%(names)s") % {"names": "、".join(unknown)}, field="text")


def template_missing_params(template: SmsTemplate, params: dict[str, Any]) -> list[str]:
    return [name for name in template.param_names if name not in params]
