"""Yes/no filters offer "All" as their no-filter choice, never Django's "Unknown", and still filter."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from tests.factories.complaints import ComplaintFactory

pytestmark = pytest.mark.django_db


def test_the_not_finished_filter_reads_all_yes_no_and_filters(as_user, centre, leader):
    open_one = ComplaintFactory(centre=centre)
    closed = ComplaintFactory(centre=centre, status=Complaint.Status.CLOSED, received_at=timezone.now())
    client = as_user(leader)
    page = client.get(reverse("complaints:complaint-list")).content.decode()
    assert '<option value="unknown" selected>全部</option>' in page
    assert "未知" not in page

    shown = client.get(reverse("complaints:complaint-list"), {"open": "true"}).content.decode()
    assert open_one.tracking_no in shown and closed.tracking_no not in shown

    english = client.get(reverse("complaints:complaint-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="unknown" selected>All</option>' in english
