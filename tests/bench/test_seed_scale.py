"""The bench's province-shaped seed (bench/seed.py, `bench/run.py --scale`) at a tiny scale, on PostgreSQL.

The seed multiplies rows inside PostgreSQL (INSERT … SELECT over generate_series, gen_random_uuid), so this
runs on PostgreSQL only (`DATABASE_URL`); on SQLite it is skipped. No timing here: the bench measures speed.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seed_module(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the bench seed multiplies rows with PostgreSQL's generate_series")
    from bench import seed

    # Tiny batches, so that a few hundred rows still go through the copies, in several statements each.
    monkeypatch.setattr(seed, "BASE_BATCH", 40)
    monkeypatch.setattr(seed, "CHUNK_ROWS", 100)
    return seed


def _args(**overrides) -> argparse.Namespace:
    values = {
        "evaluations": 700,
        "complaints": 150,
        "cases": 90,
        "staff": 24,
        "centres": 4,
        "spread_days": 335,
        "lifelike": True,
        "history": 500,
        "vacuum": False,
    }
    return argparse.Namespace(**{**values, **overrides})


def test_tiny_province_seed_spreads_rows_over_centres_windows_and_a_year(seed_module):
    from cases.models import Case
    from complaints.models import Complaint, Evaluation, EvaluationEvent
    from govservice import rollups
    from staff.models import User

    context = seed_module.seed(_args())

    sizes = context["sizes"]
    # The volumes asked for, plus the one row of each kind of the one-row centre (the list figures' 1-row side).
    assert (sizes["evaluations"], sizes["complaints"], sizes["cases"]) == (701, 151, 91)
    assert (Evaluation.objects.count(), Complaint.objects.count(), Case.objects.count()) == (701, 151, 91)
    assert sizes["centres"] == len(context["centre_ids"]) == 4
    # The window staff are spread evenly (the demo's own staff count towards their centre's share).
    staff = User.objects.filter(centre_id__in=context["centre_ids"], window__isnull=False)
    per_centre = dict(staff.values_list("centre_id").annotate(n=Count("id")).values_list("centre_id", "n"))
    assert set(per_centre) == set(context["centre_ids"])
    assert all(n >= 24 // 4 for n in per_centre.values())
    assert not staff.exclude(window__centre_id=F("centre_id")).exists()
    # Every seeded centre has rows, and every row's window and person are of its own centre.
    seeded = Evaluation.objects.filter(centre_id__in=context["centre_ids"])
    assert set(seeded.values_list("centre_id", flat=True).distinct()) == set(context["centre_ids"])
    assert not seeded.exclude(window__centre_id=F("centre_id")).exists()
    assert not seeded.exclude(staff__centre_id=F("centre_id")).exists()
    assert (
        not Case.objects.filter(centre_id__in=context["centre_ids"])
        .exclude(matter_type__centre_id=F("centre_id"))
        .exists()
    )
    # Spread over the year: none in the future, some older than ten months, every month of the year present.
    now = timezone.now()
    assert not Evaluation.objects.filter(rated_at__gt=now + timedelta(minutes=1)).exists()
    assert Evaluation.objects.filter(rated_at__lt=now - timedelta(days=300)).exists()
    assert not Evaluation.objects.filter(rated_at__lt=now - timedelta(days=366)).exists()
    months = {(d.year, d.month) for d in Evaluation.objects.values_list("rated_at", flat=True)}
    assert len(months) >= 12
    # A case's creation moves back with its copy (the base cases were all created now).
    assert Case.objects.filter(created_at__lt=now - timedelta(days=45)).exists()
    # As over a year of work: most complaints and cases are finished.
    closed = Complaint.objects.filter(status=Complaint.Status.CLOSED).count()
    assert closed > Complaint.objects.count() // 2
    assert Case.objects.filter(status=Case.Status.COMPLETED).count() > Case.objects.count() // 2
    # Copies get new public ids and distinct tracking numbers.
    assert Evaluation.objects.values("public_id").distinct().count() == 701
    assert Complaint.objects.values("tracking_no").distinct().count() == 151
    # One history row per evaluation, up to the number asked for, each dated as its evaluation.
    events = EvaluationEvent.objects.filter(action="submitted")
    assert events.count() == 500
    assert events.values("evaluation_id").distinct().count() == 500
    assert not events.exclude(created_at=F("evaluation__rated_at")).exists()
    # The dashboard's day counts saw every INSERT … SELECT (statement triggers): no drift from a fresh count.
    assert rollups.drift(rollups.EVALUATIONS) == []
    assert rollups.drift(rollups.COMPLAINTS) == []
    assert rollups.drift(rollups.CASES) == []
    assert context["city_leader_session"] and context["leader_session"]


def test_seeding_again_to_a_larger_scale_adds_only_the_difference(seed_module):
    from complaints.models import Complaint, Evaluation, EvaluationEvent

    seed_module.seed(_args())
    context = seed_module.seed(_args(evaluations=1_000, complaints=200, history=1_000))
    # The copies fill the table up to the new volume (the one-row centre's row is already among them).
    assert context["sizes"]["evaluations"] == Evaluation.objects.count() == 1_000
    assert Complaint.objects.values("tracking_no").distinct().count() == Complaint.objects.count() == 200
    assert EvaluationEvent.objects.filter(action="submitted").values("evaluation_id").distinct().count() == 1_000
    assert not Evaluation.objects.filter(~Q(centre_id__in=[*context["centre_ids"], *_small(context)])).exists()


def _small(context: dict) -> list[int]:
    from govservice.models import Centre

    return list(Centre.objects.filter(code="bench1").values_list("id", flat=True))
