"""The demo loads fast, twice without adding anything, and shows the brief's numbers."""

from __future__ import annotations

import io

import pytest

from complaints import demo
from complaints.models import BadReview, Channel, Complaint, Escalation, Evaluation
from staff import demo as staff_demo
from staff.models import User

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_realistic():
    ctx = staff_demo.DemoContext(stdout=io.StringIO(), show_progress=False)
    staff_demo.load(ctx)
    demo.load(ctx)
    counts = (Evaluation.objects.count(), Complaint.objects.count(), Escalation.objects.count())
    demo.load(ctx)
    assert (Evaluation.objects.count(), Complaint.objects.count(), Escalation.objects.count()) == counts
    assert Channel.objects.filter(centres__code="gxq").values("kind").distinct().count() == len(Channel.Kind)
    counted = Evaluation.objects.filter(excluded=False)
    assert 0.90 < counted.filter(level__gte=4).count() / counted.count() < 0.99
    categorised = Complaint.objects.filter(kind="complaint").exclude(category="").exclude(status="merged")
    share = categorised.filter(category="attitude").count() / categorised.count()
    assert 0.22 < share < 0.42
    assert set(BadReview.objects.values_list("status", flat=True)) == set(BadReview.Status.values)
    city_leader = User.objects.get(username="city-leader1")
    from django.utils import timezone

    from complaints.selectors import escalation_monthly

    solved = sum(m.solved for m in escalation_monthly(user=city_leader, year=timezone.localdate().year))
    assert solved == 12
