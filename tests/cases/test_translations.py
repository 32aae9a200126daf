from __future__ import annotations

import re
from pathlib import Path

import polib

import cases

PO = Path(cases.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_english_catalogue_of_cases_is_complete():
    untranslated = []
    for block in PO.read_text(encoding="utf-8").split("\n\n")[1:]:
        if block.startswith("#~") or "msgid" not in block:
            continue
        msgid = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block.split("msgstr")[0]))
        msgstr = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block.split("msgstr", 1)[1]))
        if not msgstr or "#, fuzzy" in block:
            untranslated.append(msgid)
    assert untranslated == []


def test_compiled_catalogue_of_cases_holds_what_the_po_says():
    # Compared by content, not by file times: a merge or a checkout may touch the .po (its source
    # references) and leave the identical .mo older, and that is no stale catalogue.
    def entries(catalogue: polib.POFile | polib.MOFile) -> dict[tuple[str | None, str], str]:
        return {(e.msgctxt, e.msgid): e.msgstr for e in catalogue if e.msgid and not e.obsolete and not e.msgid_plural}

    assert entries(polib.mofile(str(PO.with_suffix(".mo")))) == entries(polib.pofile(str(PO)))
