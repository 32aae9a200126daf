"""Factories for staff development: schemes, inputs from other apps, training, mentors."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from development.models import Dimension, Indicator, ScoringScheme, SpotCheck
from govservice.models import Centre
from staff.models import User

TZ = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=TZ)


class SchemeFactory(factory.django.DjangoModelFactory[ScoringScheme]):
    class Meta:
        model = ScoringScheme

    name = "测试方案"
    valid_from = date(2026, 1, 1)
    min_evaluations = 0


def scheme_with(
    centre: Centre, indicators: list[dict], *, valid_from: date = date(2026, 1, 1), **kwargs
) -> ScoringScheme:
    """A scheme with one dimension per source and the given indicators."""
    scheme = SchemeFactory.create(centre=centre, valid_from=valid_from, **kwargs)
    dims: dict[str, Dimension] = {}
    for order, spec in enumerate(indicators, start=1):
        spec = dict(spec)
        source = spec["source"]
        if source not in dims:
            dims[source] = Dimension.objects.create(scheme=scheme, code=source, name=source, order=len(dims) + 1)
        spec.setdefault("name", spec["code"])
        spec["weight"] = Decimal(str(spec["weight"]))
        Indicator.objects.create(scheme=scheme, dimension=dims[source], order=order, **spec)
    return scheme


def _centre_of(staff: User) -> Centre:
    """The centre the scored staff work in: every scoring fixture's staff have one."""
    assert staff.centre is not None, f"{staff.username} has no centre"
    return staff.centre


def _channel(centre: Centre):
    from complaints.models import Channel

    channel, _ = Channel.objects.get_or_create(code="test-device", defaults={"name": "评价器", "kind": "window_device"})
    channel.centres.add(centre)
    return channel


def evaluation(staff: User, level: int, rated_at: datetime, **kwargs):
    from complaints.models import Evaluation

    centre = _centre_of(staff)
    return Evaluation.objects.create(
        centre=centre,
        channel=_channel(centre),
        window=staff.window,
        staff=staff,
        level=level,
        rated_at=rated_at,
        **kwargs,
    )


def _matter(centre: Centre):
    from cases.models import MatterType

    matter, _ = MatterType.objects.get_or_create(
        centre=centre, code="test-matter", defaults={"name": "测试事项", "promised_days": 5}
    )
    return matter


def case(handler: User, *, completed_at: datetime | None = None, due_date: date | None = None, accepted_at=None):
    from cases.models import Case

    n = next(_seq)
    centre = _centre_of(handler)
    return Case.objects.create(
        tracking_no=f"T-{n:06d}",
        centre=centre,
        matter_type=_matter(centre),
        window=handler.window,
        applicant_kind="person",
        applicant_name="申请人",
        status="completed" if completed_at else "accepted",
        first_responder=handler,
        handler=handler,
        accepted_at=accepted_at,
        completed_at=completed_at,
        due_date=due_date,
    )


def complaint(staff: User, received_at: datetime, category: str = "", **kwargs):
    from complaints.models import Complaint

    n = next(_seq)
    centre = _centre_of(staff)
    return Complaint.objects.create(
        tracking_no=f"TS-{n:06d}",
        centre=centre,
        channel=_channel(centre),
        content="投诉内容",
        category=category,
        window=staff.window,
        staff=staff,
        received_at=received_at,
        **kwargs,
    )


def spot_check(staff: User, inspector: User, checked_at: datetime, **kwargs) -> SpotCheck:
    return SpotCheck.objects.create(
        centre=_centre_of(staff), staff=staff, inspector=inspector, checked_at=checked_at, **kwargs
    )
