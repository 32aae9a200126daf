"""One English wording per Chinese source string, whichever app's catalogue holds it.

Django merges every app's catalogue into one per language (LOCALE_PATHS first, then the apps in
INSTALLED_APPS order), so when two catalogues translate the same msgid differently, one app silently
shows the other's wording: the knowledge base's "Question" column read "Problem", the case page's
"Record" button read "Notes". A string that means different things takes a context (pgettext).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import polib
from django.conf import settings


def test_a_source_string_has_the_same_english_in_every_catalogue():
    wordings: dict[tuple[str | None, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for po_path in Path(settings.BASE_DIR).glob("**/locale/en/LC_MESSAGES/django.po"):
        if ".venv" in po_path.parts:
            continue
        for entry in polib.pofile(str(po_path)):
            if entry.obsolete:
                continue
            english = entry.msgstr if not entry.msgid_plural else repr(sorted(entry.msgstr_plural.items()))
            wordings[(entry.msgctxt, entry.msgid)][english].add(str(po_path.relative_to(settings.BASE_DIR)))
    conflicts = {key: dict(found) for key, found in wordings.items() if len(found) > 1}
    assert not conflicts, f"{len(conflicts)} source strings with different English: {conflicts}"
