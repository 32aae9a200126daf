from __future__ import annotations

import re
from pathlib import Path

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
    assert PO.with_suffix(".mo").stat().st_mtime >= PO.stat().st_mtime - 5
