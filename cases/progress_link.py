"""The citizen's way back to a case: the public progress page's address and its QR code, printed on the
material-correction list (补正材料清单).

The page is `cases:progress` (cases/views/public.py): the citizen enters the tracking number and the last
four digits of their phone; the address carries the tracking number (`?no=`). QR codes are made with
segno, the library the window rating QR codes use (pure Python, nothing loaded from the internet).
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.urls import reverse

from .models import Case


def progress_url(case: Case) -> str:
    """The absolute address of the public progress page for this case (PUBLIC_BASE_URL + path)."""
    path = reverse("cases:progress") + "?" + urlencode({"no": case.tracking_no})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def qr_svg_data_uri(url: str) -> str:
    """The QR code as an SVG data: URI for an <img> (the CSP allows data: images, never inline scripts)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def qr_png(url: str) -> bytes:
    """The QR code as PNG bytes, for the PDF."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()
