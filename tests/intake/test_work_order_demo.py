"""The demo's pushed work orders: one per stage, loaded twice without adding anything."""

from __future__ import annotations

import io

import pytest

from complaints.models import WorkOrder
from govservice.models import Centre
from intake import demo
from staff import demo as staff_demo
from tests.factories.intake import hotline_channel

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_work_order_in_each_stage_and_loads_twice_without_adding():
    ctx = staff_demo.DemoContext(stdout=io.StringIO(), show_progress=False)
    staff_demo.load(ctx)
    centre = Centre.objects.get(code="city")
    channel = hotline_channel(centre, code="demo-hotline")
    demo._work_orders(ctx, centre, channel)
    demo._work_orders(ctx, centre, channel)
    statuses = set(WorkOrder.objects.values_list("status", flat=True))
    assert WorkOrder.objects.count() == len(demo.WORK_ORDERS)
    assert statuses == {"awaiting_sign", "handling", "extension_requested", "answered", "closed"}
