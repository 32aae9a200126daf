"""The shape of one queue event as a device sends it; checked one event at a time."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..strict import StrictSerializer
from .models import QueueEvent

# A batch larger than this is refused whole (400): a device that was offline sends several batches.
MAX_EVENTS_PER_BATCH = 500


class QueueEventInput(StrictSerializer):
    kind = serializers.ChoiceField(
        choices=QueueEvent.Kind.choices,
        help_text="taken, called, started, ended, no_show, transferred",
    )
    ticket = serializers.RegexField(
        r"^[0-9A-Za-z-]{1,20}$",
        help_text="The ticket number as printed (A023); unique per centre and day",
        error_messages={"invalid": _("号码只能由字母、数字和连字符组成，最长 20 位。")},
    )
    occurred_at = serializers.DateTimeField(
        help_text=(
            "When it happened, ISO 8601 with timezone (the device's own clock). Events are ordered by this time, "
            "not by arrival. Not in the future beyond INTAKE_CLOCK_SKEW_SECONDS, not older than "
            "INTAKE_MAX_BACKDATE_DAYS."
        )
    )
    matter = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="taken: the matter the ticket was taken for"
    )
    window = serializers.CharField(
        max_length=10,
        required=False,
        help_text="Window code in the device's centre; required for `called`",
    )
    staff_no = serializers.CharField(max_length=20, required=False, help_text="Staff number in the device's centre")
    to_window = serializers.CharField(
        max_length=10, required=False, help_text="transferred: the window code the ticket goes to (required)"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs["kind"]
        if kind == QueueEvent.Kind.CALLED and not attrs.get("window"):
            raise serializers.ValidationError({"window": [_("叫号事件须注明窗口。")]})
        if kind == QueueEvent.Kind.TRANSFERRED and not attrs.get("to_window"):
            raise serializers.ValidationError({"to_window": [_("转窗口事件须注明转至的窗口。")]})
        if kind != QueueEvent.Kind.TRANSFERRED and attrs.get("to_window"):
            raise serializers.ValidationError({"to_window": [_("只有转窗口事件可以注明转至的窗口。")]})
        return attrs
