from __future__ import annotations

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

PO = settings.BASE_DIR / "complaints" / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_the_english_catalogue_is_complete():
    po = polib.pofile(str(PO))
    assert not [e.msgid for e in po if not e.msgstr and not e.obsolete]
    assert not [e.msgid for e in po if "fuzzy" in e.flags]


@pytest.mark.django_db
def test_the_rating_page_speaks_english(client, window, qr_channel):
    with translation.override("en"):
        response = client.get(reverse("complaints:rate-window", args=[window.public_id]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Were you satisfied with the service?" in response.content.decode()
