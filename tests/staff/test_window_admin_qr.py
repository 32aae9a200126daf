"""The window admin links each active window to its printable rating QR code."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories.staff import WindowFactory

pytestmark = pytest.mark.django_db


def test_window_admin_page_links_to_the_windows_printable_qr_code(as_user, centre_admin, window):
    client = as_user(centre_admin)
    qr_url = reverse("complaints:window-qr-print", args=[window.pk])

    change = client.get(reverse("admin:staff_window_change", args=[window.pk]))
    listing = client.get(reverse("admin:staff_window_changelist"))

    assert change.status_code == 200
    assert f'href="{qr_url}"' in change.content.decode()
    assert f'href="{qr_url}"' in listing.content.decode()
    # The link leads to a page the same administrator may open, showing the code.
    printed = client.get(qr_url)
    assert printed.status_code == 200
    assert reverse("complaints:window-qr-svg", args=[window.pk]) in printed.content.decode()


def test_an_inactive_window_has_no_qr_link_because_its_qr_page_is_not_found(as_user, centre_admin, centre):
    closed = WindowFactory.create(centre=centre, is_active=False)
    client = as_user(centre_admin)
    qr_url = reverse("complaints:window-qr-print", args=[closed.pk])

    change = client.get(reverse("admin:staff_window_change", args=[closed.pk]))

    assert change.status_code == 200
    assert qr_url not in change.content.decode()
    assert client.get(qr_url).status_code == 404
