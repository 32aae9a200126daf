"""The queue demo: `make run` shows a live queue with people waiting, one past the threshold, and a heat map."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from intake.models import QueueEvent, QueueTicket
from intake.queue import demo as queue_demo
from intake.queue.selectors import queue_heatmap, queue_live
from staff import demo as staff_demo
from staff.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_fills_the_live_view_and_is_safe_to_load_twice():
    ctx = staff_demo.DemoContext(stdout=io.StringIO(), show_progress=False)
    staff_demo.load(ctx)
    queue_demo.load(ctx)
    events = QueueEvent.objects.count()
    queue_demo.load(ctx)
    assert QueueEvent.objects.count() == events  # loaded twice: nothing new

    leader = User.objects.get(username="city-leader1")
    assert leader.centre is not None
    live = queue_live(centre=leader.centre)
    assert len(live.waiting) >= 5
    assert live.over_threshold  # somebody has waited past 30 minutes
    assert live.at_windows
    if timezone.localtime().hour >= 4:  # loaded just after midnight, today's tickets started yesterday
        assert not QueueEvent.objects.filter(out_of_order=True).exists()
    today = timezone.localdate()
    first = QueueTicket.objects.filter(centre=leader.centre).order_by("day").values_list("day", flat=True).first()
    assert first is not None and first < today
    assert queue_heatmap(centre=leader.centre, start=first, end=today).busiest > 0
