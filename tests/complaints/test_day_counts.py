"""The dashboard's day counts of evaluations, complaints and cases stay equal to the rows, whatever writes them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from complaints import services
from complaints.models import Complaint, ComplaintDayCount, Evaluation, EvaluationDayCount
from govservice import rollups
from tests.factories.complaints import ComplaintFactory, EvaluationFactory
from tests.factories.staff import DepartmentFactory, WindowFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
# 23:30 on 31 March in Shanghai is 15:30 UTC the same day; 00:10 on 1 April is 16:10 UTC on 31 March.
LAST_OF_MARCH = datetime(2026, 3, 31, 23, 30, tzinfo=TZ)
FIRST_OF_APRIL = datetime(2026, 4, 1, 0, 10, tzinfo=TZ)


def _in_step() -> None:
    assert [d for r in rollups.ROLLUPS for d in rollups.drift(r)] == []


def _days() -> dict[tuple[date, int], int]:
    """Evaluations counted per (local day, level)."""
    out: dict[tuple[date, int], int] = {}
    for row in EvaluationDayCount.objects.all():
        out[(row.day, row.level)] = out.get((row.day, row.level), 0) + row.n
    return out


def test_an_evaluation_counts_on_its_local_day_in_shanghai(centre, qr_channel, window):
    services.evaluation_submit(centre=centre, channel=qr_channel, window=window, level=5, rated_at=LAST_OF_MARCH)
    services.evaluation_submit(centre=centre, channel=qr_channel, window=window, level=5, rated_at=FIRST_OF_APRIL)
    services.evaluation_submit(centre=centre, channel=qr_channel, window=window, level=4, rated_at=FIRST_OF_APRIL)
    # Both instants are on 31 March in UTC: the day is Shanghai's.
    assert {LAST_OF_MARCH.astimezone(ZoneInfo("UTC")).date(), FIRST_OF_APRIL.astimezone(ZoneInfo("UTC")).date()} == {
        date(2026, 3, 31)
    }
    assert _days() == {(date(2026, 3, 31), 5): 1, (date(2026, 4, 1), 5): 1, (date(2026, 4, 1), 4): 1}
    _in_step()


def test_every_kind_of_write_keeps_the_counts_equal_to_the_rows(centre, other_centre, qr_channel, hotline, window):
    other_window = WindowFactory(centre=centre, code="B02")
    base = datetime(2026, 5, 20, 9, 0, tzinfo=TZ)
    # bulk_create, one multi-row INSERT: counted, excluded, no window, several days and levels.
    Evaluation.objects.bulk_create(
        [
            Evaluation(
                centre=centre if i % 4 else other_centre,
                channel=qr_channel if i % 2 else hotline,
                window=[window, other_window, None][i % 3],
                level=i % 5 + 1,
                excluded=i % 7 == 0,
                rated_at=base - timedelta(hours=7 * i),
            )
            for i in range(60)
        ]
    )
    Complaint.objects.bulk_create(
        [
            Complaint(
                tracking_no=f"DC-{i}",
                centre=centre,
                channel=hotline,
                content="x",
                category=["attitude", "ability", ""][i % 3],
                window=[window, None][i % 2],
                received_at=base - timedelta(hours=11 * i),
            )
            for i in range(30)
        ]
    )
    _in_step()
    assert EvaluationDayCount.objects.count() > 10 and ComplaintDayCount.objects.count() > 5

    # A service, one row at a time; a follow-up rating is an evaluation too.
    first = services.evaluation_submit(centre=centre, channel=qr_channel, window=window, level=2, rated_at=base)
    _in_step()
    # QuerySet.update() on many rows: excluded, then counted again; a level changed.
    Evaluation.objects.filter(level=3).update(excluded=True)
    _in_step()
    Evaluation.objects.filter(level=3).update(excluded=False)
    Evaluation.objects.filter(level=1).update(level=2)
    _in_step()
    # save() moving one evaluation across local midnight and to another centre and channel.
    first.rated_at = LAST_OF_MARCH
    first.centre, first.channel = other_centre, hotline
    first.save()
    first.rated_at = FIRST_OF_APRIL
    first.save(update_fields=["rated_at"])
    _in_step()
    # A save that changes nothing counted.
    first.text = "补充说明"
    first.save()
    _in_step()
    # A window deleted: Django sets the evaluations' and complaints' window to NULL in one UPDATE.
    other_window.delete()
    _in_step()
    # Complaints: recategorised, given a department, moved in time, deleted.
    Complaint.objects.filter(category="").update(category="discipline")
    Complaint.objects.filter(window__isnull=True).update(department=DepartmentFactory(centre=centre))
    Complaint.objects.filter(category="ability").update(received_at=LAST_OF_MARCH)
    Complaint.objects.filter(category="attitude")[:1].get().delete()
    _in_step()
    # Deleted, one and many.
    first.delete()
    Evaluation.objects.filter(centre=other_centre).delete()
    _in_step()
    Evaluation.objects.all().delete()
    Complaint.objects.all().delete()
    _in_step()
    assert not EvaluationDayCount.objects.exists()
    assert not ComplaintDayCount.objects.exists()


def test_an_appeal_upheld_takes_the_bad_review_out_of_the_counts(
    centre, qr_channel, window_staff, centre_admin, leader
):
    evaluation = services.evaluation_submit(
        centre=centre, channel=qr_channel, staff=window_staff, level=1, rated_at=FIRST_OF_APRIL
    )
    assert _days() == {(date(2026, 4, 1), 1): 1}
    bad_review = evaluation.bad_review
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin)
    services.bad_review_verify(bad_review_id=bad_review.id, verdict="malicious", note="监控", actor=centre_admin)
    services.bad_review_decide_appeal(bad_review_id=bad_review.id, upheld=True, decision="申诉成立", actor=leader)
    assert _days() == {}  # the emptied counter is removed, not left at 0
    _in_step()


def test_shards_of_a_counter_are_summed_and_may_cancel_out(client, centre, qr_channel, leader):
    """Two connections' shards: one counted an evaluation, the other removes it (simulated by moving the row)."""
    from dashboard.figures import DashboardFilters, dashboard_for

    kept = EvaluationFactory(centre=centre, channel=qr_channel, level=5, rated_at=FIRST_OF_APRIL)
    removed = EvaluationFactory(centre=centre, channel=qr_channel, level=4, rated_at=FIRST_OF_APRIL)
    EvaluationDayCount.objects.update(shard=rollups.SHARDS + 1)  # written by "another connection"
    removed.delete()  # this connection adds -1 to its own shard
    kept_again = EvaluationFactory(centre=centre, channel=qr_channel, level=5, rated_at=FIRST_OF_APRIL)
    assert sorted(EvaluationDayCount.objects.values_list("level", "n")) == [(4, -1), (4, 1), (5, 1), (5, 1)]
    _in_step()
    assert _days() == {(date(2026, 4, 1), 5): 2, (date(2026, 4, 1), 4): 0}
    month = dashboard_for(
        user=leader, filters=DashboardFilters.from_query({"start": "2026-04-01", "end": "2026-04-30"})
    )
    # Level 4 sums to nothing: no group for it, as if the counter had never existed.
    assert [(s.key, s.total, s.very_satisfied_rate) for s in month.satisfaction_by_month] == [("2026-04", 2, 100.0)]
    call_command("rebuild_dashboard_rollups", stdout=_Sink())  # folds the shards
    assert sorted(EvaluationDayCount.objects.values_list("level", "shard", "n")) == [(5, 0, 2)]
    assert kept.id != kept_again.id


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_the_command_checks_and_rebuilds_the_counts_and_reinstalls_the_triggers(centre, qr_channel, hotline):
    EvaluationFactory.create_batch(3, centre=centre, channel=qr_channel, rated_at=FIRST_OF_APRIL)
    ComplaintFactory(centre=centre, channel=hotline, received_at=LAST_OF_MARCH)
    EvaluationDayCount.objects.update(n=7)
    for rollup in rollups.ROLLUPS:  # triggers lost (e.g. a restore of the table without them)
        rollups.uninstall(connection, rollup)
    ComplaintFactory(centre=centre, channel=hotline, received_at=LAST_OF_MARCH)

    out = _Sink()
    with pytest.raises(CommandError, match="2 counters differ"):
        call_command("rebuild_dashboard_rollups", "--check", stdout=out)
    assert "counted 7, actually 3" in out.text and "counted 1, actually 2" in out.text

    call_command("rebuild_dashboard_rollups", stdout=out)
    assert "complaints_evaluationdaycount: 1 counters" in out.text
    call_command("rebuild_dashboard_rollups", "--check", stdout=out)
    # The triggers are back.
    EvaluationFactory(centre=centre, channel=qr_channel, rated_at=FIRST_OF_APRIL)
    ComplaintFactory(centre=centre, channel=hotline, received_at=FIRST_OF_APRIL)
    _in_step()
    assert _days() == {(date(2026, 4, 1), 5): 4}


def test_cases_are_counted_by_local_day_matter_and_special_group(centre, window_staff):
    from cases.models import Case, CaseDayCount
    from tests.factories.cases import MatterTypeFactory
    from tests.factories.complaints import completed_case

    first, second = MatterTypeFactory(centre=centre), MatterTypeFactory(centre=centre)
    cases = [
        completed_case(centre=centre, handler=window_staff, matter_type=first, is_elderly=i % 2 == 0) for i in range(4)
    ]
    _in_step()
    Case.objects.filter(id=cases[0].id).update(created_at=LAST_OF_MARCH)
    Case.objects.filter(id=cases[1].id).update(created_at=FIRST_OF_APRIL, matter_type=second)
    Case.objects.filter(id__in=[c.id for c in cases[2:]]).update(is_disabled=True)
    _in_step()
    assert set(CaseDayCount.objects.filter(day__lt=date(2026, 5, 1)).values_list("day", "matter_type", "n")) == {
        (date(2026, 3, 31), first.id, 1),
        (date(2026, 4, 1), second.id, 1),
    }
    cases[3].status = Case.Status.IN_PROCESS  # a transition moves no counter
    cases[3].save(update_fields=["status", "updated_at"])
    Case.objects.filter(id=cases[2].id).delete()
    _in_step()
    assert sum(CaseDayCount.objects.values_list("n", flat=True)) == 3


def test_a_database_other_than_postgresql_or_sqlite_is_refused_with_a_clear_error():
    from types import SimpleNamespace

    from django.core.exceptions import ImproperlyConfigured

    from govservice.rollups import _day

    with pytest.raises(ImproperlyConfigured, match="PostgreSQL or SQLite"):
        _day(SimpleNamespace(vendor="mysql"), "rated_at")
