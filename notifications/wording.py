"""Notice wording kept as a source string and parameters, translated when read.

A notice is often caused by a task (no language) or by another person (their language); the reader may read
English. `notice_text(gettext_noop("…%(no)s…"), {"no": ...})` keeps what `_()` would have rendered too early: the
source string and the parameters, each parameter scrubbed of personal numbers as it is stored. A parameter may
itself be a `NoticeText` ("upheld" / "rejected") or a lazy choice label (`Status(x).label`), translated with the
rest; a label already rendered (`get_kind_display()`) stays in the language it was rendered in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext, override

from govservice.masking import scrub

type Stored = dict[str, Any]


@dataclass(frozen=True)
class NoticeText:
    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return render_message(self.msgid, self.stored_params())

    def __len__(self) -> int:
        return len(str(self))

    def stored_params(self) -> Stored:
        """The parameters as JSON: plain text (scrubbed), or {"t": msgid} for a nested wording."""
        return {name: _stored(value) for name, value in self.params.items()}


def notice_text(msgid: str, params: Mapping[str, object] | None = None, /) -> NoticeText:
    """A notice's wording: mark `msgid` with `gettext_noop` at the call so that makemessages finds it."""
    return NoticeText(msgid, dict(params or {}))


def _stored(value: object) -> object:
    if isinstance(value, NoticeText):
        return {"t": value.msgid, "p": value.stored_params()}
    if isinstance(value, Promise):
        # A lazy label (a choice's `.label`): the source strings are the default language's own words, so the
        # label read in that language is its msgid.
        with override(settings.LANGUAGE_CODE):
            return {"t": str(value), "p": {}}
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # for a "%(n)d" in the wording
    return scrub(str(value))


def _shown(value: object) -> object:
    if isinstance(value, dict) and "t" in value:
        return render_message(str(value["t"]), value.get("p") or {})
    return value


def render_message(msgid: str, params: Mapping[str, object]) -> str:
    """`msgid` translated into the active language with its parameters; a wording whose translation no longer
    fits the stored parameters shows untranslated rather than failing the page."""
    shown = {name: _shown(value) for name, value in params.items()}
    try:
        return gettext(msgid) % shown
    except (KeyError, ValueError, TypeError):
        try:
            return msgid % shown
        except (KeyError, ValueError, TypeError):
            return msgid
