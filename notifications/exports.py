"""The SMS outbox as an Excel export made in the background (govservice/exports)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govservice import access
from govservice.exports import ExportKind, Rows, register
from staff.models import User

from .models import SmsMessage
from .selectors import sms_list_for

CHUNK = 2000


def _when(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _rows(user: User, params: Mapping[str, str], reveal: bool) -> Rows:
    queryset = sms_list_for(user=user, status=params.get("status", ""), centre=params.get("centre", ""))
    statuses = dict(SmsMessage.Status.choices)

    def stream() -> Iterator[Sequence[Any]]:
        for message in queryset.iterator(chunk_size=CHUNK):
            yield [
                message.centre.name if message.centre else "",
                message.phone if reveal else message.masked_phone,
                message.template_code,
                str(statuses.get(message.status, message.status)),
                _when(message.send_after),
                _when(message.sent_at),
                _when(message.delivered_at),
                message.attempts,
                message.last_error,
            ]

    headers = [_("中心"), _("手机号"), _("模板"), _("状态"), _("计划发送时间"), _("发送时间"), _("送达时间")]
    headers += [_("尝试次数"), _("最近错误")]
    return Rows(headers=headers, count=queryset.count(), rows=stream())


def _title(params: Mapping[str, str]) -> str:
    status = params.get("status", "")
    label = str(dict(SmsMessage.Status.choices).get(status, "")) if status else ""
    return _("短信发件箱") + (f" · {label}" if label else "")


def register_exports() -> None:
    register(
        ExportKind(
            name="sms_outbox",
            label=gettext_lazy("短信发件箱"),
            allowed=access.can_see_outbox,
            rows=_rows,
            may_reveal=access.is_administrator,
            title=_title,
        )
    )
