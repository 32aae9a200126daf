"""The evaluation table partitioned by month of rated_at (issue 21, complaints/migrations/0016_evalpart_…).

PostgreSQL: a filled table is converted without losing a row or a relation; the unique rules that a
partitioned table cannot hold as indexes (complaints/evaluation_uniques.py) are still kept by the database,
one at a time and under concurrency, with the same IntegrityError and constraint name; the day-count
triggers keep counting. Both databases: deleting an evaluation still deletes or detaches what hangs off it
(the foreign keys to it have no database constraint any more, Django does it).
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, close_old_connections, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints import evaluation_uniques
from complaints.models import BadReview, Channel, Complaint, Evaluation, EvaluationDayCount, EvaluationEvent
from govservice import partitions, rollups
from tests.factories.complaints import ComplaintFactory, EvaluationFactory, channel_for, completed_case
from tests.factories.staff import CentreFactory, window_staff

TZ = ZoneInfo("Asia/Shanghai")
BEFORE = ("complaints", "0016_partitions_event_history")
PARTITIONED = ("complaints", "0016_evalpart_partition_evaluations")
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="partitions, advisory locks and the rules' triggers exist on PostgreSQL only; SQLite keeps a plain "
    "table with the model's unique indexes",
)


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _migrate_to_leaves() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _case(centre):
    return completed_case(centre=centre, handler=window_staff(centre=centre))


def _bad_review(evaluation: Evaluation) -> BadReview:
    today = timezone.localdate()
    return BadReview.objects.create(
        evaluation=evaluation, centre=evaluation.centre, contact_due=today, rectify_due=today + timedelta(days=5)
    )


def _counted(centre_id: int) -> int:
    return sum(EvaluationDayCount.objects.filter(centre_id=centre_id).values_list("n", flat=True))


def _snapshot() -> dict[str, list[tuple]]:
    return {
        "evaluations": list(
            Evaluation.objects.order_by("id").values_list(
                "id",
                "public_id",
                "rated_at",
                "level",
                "case_id",
                "follow_up_of_id",
                "superseded_by_id",
                "external_id",
                "channel_id",
                "text",
                "excluded",
            )
        ),
        "events": list(EvaluationEvent.objects.order_by("id").values_list("id", "evaluation_id", "action")),
        "bad_reviews": list(BadReview.objects.order_by("id").values_list("id", "evaluation_id", "status")),
        "complaints": list(Complaint.objects.order_by("id").values_list("id", "evaluation_id")),
        "day_counts": sorted(
            EvaluationDayCount.objects.values("centre_id", "day", "window_id", "channel_id", "level")
            .annotate(total=Sum("n"))
            .values_list("centre_id", "day", "window_id", "channel_id", "level", "total")
        ),
    }


# --- converting a filled database ---------------------------------------------------------------------


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_filled_table_is_converted_with_every_row_and_relation():
    try:
        _migrate(BEFORE)
        assert not partitions.is_partitioned("complaints_evaluation")
        centre = CentreFactory()
        channel = channel_for(centre)
        now = timezone.now()
        # Old (2019), last year, this month, and beyond the partitions made ahead.
        moments = [
            datetime(2019, 3, 31, 23, 30, tzinfo=TZ),  # the last half hour of March in Shanghai, UTC's 31st
            datetime(2019, 4, 1, 0, 10, tzinfo=TZ),  # April locally, still March 31st in UTC
            now - timedelta(days=400),
            now - timedelta(days=40),
            now,
            now + timedelta(days=240),
        ]
        case = _case(centre)
        firsts = [
            EvaluationFactory(centre=centre, channel=channel, rated_at=m, level=1 + i % 5, external_id=f"x{i}")
            for i, m in enumerate(moments)
        ]
        firsts[0].case = case
        firsts[0].save()
        follow_up = EvaluationFactory(
            centre=centre, channel=channel, rated_at=now, case=case, follow_up_of=firsts[0], level=2
        )
        firsts[1].superseded_by = firsts[4]
        firsts[1].save()
        for evaluation in [*firsts, follow_up]:
            EvaluationEvent.objects.create(evaluation=evaluation, action="submitted")
        _bad_review(firsts[0])
        _bad_review(follow_up)
        ComplaintFactory(centre=centre, evaluation=firsts[2], received_at=now)
        ComplaintFactory(centre=centre, evaluation=None, received_at=now)
        before = _snapshot()
        last_id = max(row[0] for row in before["evaluations"])

        _migrate(PARTITIONED)

        assert partitions.is_partitioned("complaints_evaluation")
        assert _snapshot() == before
        assert rollups.drift(rollups.EVALUATIONS) == []
        with connection.cursor() as cursor:
            # Every row sits in the partition of its local month (or DEFAULT beyond the months made ahead).
            cursor.execute("SELECT e.id, c.relname FROM complaints_evaluation e JOIN pg_class c ON c.oid = e.tableoid")
            where = dict(cursor.fetchall())
        assert where[firsts[0].id] == "complaints_evaluation_p201903"
        assert where[firsts[1].id] == "complaints_evaluation_p201904"
        assert where[firsts[5].id] == f"complaints_evaluation_p{timezone.localtime(moments[5], TZ):%Y%m}"
        reloaded = Evaluation.objects.get(id=firsts[0].id)
        assert reloaded.follow_up == follow_up
        assert reloaded.bad_review.evaluation_id == firsts[0].id
        assert Evaluation.objects.get(id=firsts[1].id).superseded_by_id == firsts[4].id
        assert list(firsts[2].complaints.all()) == list(Complaint.objects.filter(evaluation_id=firsts[2].id))

        # New rows go on from the old ids and count in the dashboard.
        fresh = EvaluationFactory(centre=centre, channel=channel, rated_at=now)
        assert fresh.id > last_id
        assert _counted(centre.id) == len(before["evaluations"]) + 1
        # The rules still hold on the converted rows.
        with pytest.raises(IntegrityError), transaction.atomic():
            EvaluationFactory(centre=centre, channel=channel, rated_at=now, external_id="x0")
        with pytest.raises(IntegrityError), transaction.atomic():
            EvaluationFactory(centre=centre, channel=channel, rated_at=now, case=case)

        # And back: a plain table with its unique indexes again, every row still there.
        after = _snapshot()
        _migrate(BEFORE)
        assert not partitions.is_partitioned("complaints_evaluation")
        assert _snapshot() == after
    finally:
        _migrate_to_leaves()


# --- the unique rules ---------------------------------------------------------------------------------


@pytest.fixture
def rated(db):
    centre = CentreFactory()
    return {"centre": centre, "channel": channel_for(centre), "case": _case(centre)}


def _constraint_of(excinfo: pytest.ExceptionInfo[IntegrityError]) -> str:
    return excinfo.value.__cause__.diag.constraint_name  # type: ignore[union-attr]


@postgresql_only
def test_the_table_is_partitioned_and_each_rule_has_its_trigger(db):
    assert partitions.is_partitioned("complaints_evaluation")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'complaints_evaluation'::regclass")
        triggers = {name for (name,) in cursor.fetchall()}
        present = set(connection.introspection.get_constraints(cursor, "complaints_evaluation"))
    mapping = evaluation_uniques.constraints_enforced_by_triggers()
    assert set(mapping) == {
        "evaluation_external_id_unique_per_channel",
        "evaluation_once_per_case",
        "complaints_evaluation_follow_up_of_id_key",
    }
    assert set(mapping.values()) <= triggers
    assert not set(mapping) & present  # no index under the rule's name pretends to keep it
    assert evaluation_uniques.PUBLIC_ID_INDEX in present


@postgresql_only
@pytest.mark.parametrize("rule", ["external_id", "case", "follow_up", "public_id"])
def test_a_duplicate_raises_the_same_integrity_error_as_the_unique_index_did(rated, rule):
    centre, channel, case = rated["centre"], rated["channel"], rated["case"]
    now = timezone.now()
    first = EvaluationFactory(centre=centre, channel=channel, rated_at=now, external_id="r-1", case=case)
    follow_up = EvaluationFactory(centre=centre, channel=channel, rated_at=now, follow_up_of=first, case=case)
    earlier = now - timedelta(days=70)  # another month: another partition than the first row's
    duplicate = {
        "external_id": ({"external_id": "r-1", "rated_at": earlier}, "evaluation_external_id_unique_per_channel"),
        "case": ({"case": case, "rated_at": earlier}, "evaluation_once_per_case"),
        "follow_up": ({"follow_up_of": first, "rated_at": earlier}, "complaints_evaluation_follow_up_of_id_key"),
        # A real unique index (public_id, rated_at): the error names the partition's copy of it.
        "public_id": ({"public_id": first.public_id, "rated_at": now}, "public_id_rated_at_idx"),
    }[rule]
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        EvaluationFactory(centre=centre, channel=channel, **duplicate[0])
    assert _constraint_of(excinfo).endswith(duplicate[1])
    # An update that gives another row the key is refused the same way.
    other = EvaluationFactory(centre=centre, channel=channel, rated_at=earlier)
    changes = {
        "external_id": {"external_id": "r-1"},
        "case": {"case_id": case.id},
        "follow_up": {"follow_up_of_id": first.id},
        "public_id": {"public_id": first.public_id, "rated_at": now},
    }[rule]
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Evaluation.objects.filter(id=other.id).update(**changes)
    assert _constraint_of(excinfo).endswith(duplicate[1])
    # The keyed rows may still move between months (a partition change is a delete and an insert).
    Evaluation.objects.filter(id__in=[first.id, follow_up.id]).update(rated_at=earlier)
    assert Evaluation.objects.filter(rated_at=earlier).count() == 3
    # Other keys pass: another channel's same external id, a follow-up's case, an empty external id.
    EvaluationFactory(centre=centre, channel=channel_for(centre, Channel.Kind.HOTLINE), external_id="r-1")
    EvaluationFactory(centre=centre, channel=channel, external_id="")
    EvaluationFactory(centre=centre, channel=channel, external_id="")


@postgresql_only
def test_a_resent_channel_record_is_answered_with_the_first_one(rated):
    """The intake's path: the trigger's IntegrityError leads to the look-up of the first record."""
    from complaints.services.evaluations import evaluation_submit_once

    centre, channel = rated["centre"], rated["channel"]
    first, created = evaluation_submit_once(centre=centre, channel=channel, level=5, external_id="resend-1")
    again, created_again = evaluation_submit_once(centre=centre, channel=channel, level=4, external_id="resend-1")
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert Evaluation.objects.filter(external_id="resend-1").count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)  # SET TRANSACTION must be the transaction's first statement
def test_repeatable_read_writers_are_refused_rather_than_let_a_duplicate_through(rated):
    with pytest.raises(Exception, match="READ COMMITTED") as excinfo, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        EvaluationFactory(centre=rated["centre"], channel=rated["channel"], external_id="rr-1")
    cause = excinfo.value.__cause__
    assert (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) == "0A000"


@postgresql_only
def test_a_large_import_holds_a_bounded_number_of_locks(rated):
    """One lock per key would exhaust PostgreSQL's lock table in a 20,000-row import ("out of shared memory")."""
    centre, channel = rated["centre"], rated["channel"]
    Evaluation.objects.bulk_create(
        [
            Evaluation(centre=centre, channel=channel, level=5, external_id=f"imp-{n}", rated_at=timezone.now())
            for n in range(1000)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        held = cursor.fetchone()[0]
    assert 0 < held <= evaluation_uniques.LOCK_BUCKETS
    assert Evaluation.objects.filter(external_id__startswith="imp-").count() == 1000


def _waiting_for_advisory_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return bool(cursor.fetchone()[0])


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rule", ["external_id", "case", "follow_up"])
@pytest.mark.parametrize("first_commits", [True, False])
def test_two_concurrent_writers_of_one_key_leave_one_row(rule, first_commits):
    centre = CentreFactory()
    channel = channel_for(centre)
    case = _case(centre)
    parent = EvaluationFactory(centre=centre, channel=channel)
    fields = {
        "external_id": {"external_id": "race-1"},
        "case": {"case": case},
        "follow_up": {"follow_up_of": parent},
    }[rule]
    first_inserted = threading.Event()
    release_first = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                EvaluationFactory(centre=centre, channel=channel, rated_at=timezone.now(), **fields)
                first_inserted.set()
                release_first.wait(30)
                if not first_commits:
                    transaction.set_rollback(True)
            outcome["first"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome["first"] = exc
        finally:
            first_inserted.set()
            connections.close_all()

    def second() -> None:
        try:
            with transaction.atomic():  # another month's partition than the first row
                EvaluationFactory(
                    centre=centre, channel=channel, rated_at=timezone.now() - timedelta(days=45), **fields
                )
            outcome["second"] = "ok"
        except IntegrityError as exc:
            outcome["second"] = exc.__cause__.diag.constraint_name  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome["second"] = exc
        finally:
            connections.close_all()

    one, two = threading.Thread(target=first), threading.Thread(target=second)
    one.start()
    assert first_inserted.wait(30)
    two.start()
    # The second writer is inside its insert, queued on the rule's advisory lock, before the first one ends.
    for _ in range(600):
        if _waiting_for_advisory_lock():
            break
        time.sleep(0.05)
    else:
        pytest.fail("the second writer never waited for the first one's lock")
    release_first.set()
    one.join(30)
    two.join(30)
    close_old_connections()
    expected = {
        "external_id": "evaluation_external_id_unique_per_channel",
        "case": "evaluation_once_per_case",
        "follow_up": "complaints_evaluation_follow_up_of_id_key",
    }[rule]
    assert outcome == {"first": "ok", "second": expected if first_commits else "ok"}
    key = {"external_id": {"external_id": "race-1"}, "case": {"case": case, "follow_up_of": None}}.get(
        rule, {"follow_up_of": parent}
    )
    assert Evaluation.objects.filter(**key).count() == 1


# --- the rules over any sequence of ratings -----------------------------------------------------------

_rating = st.tuples(
    st.sampled_from([None, 0, 1]),  # which of two cases (None: none)
    st.one_of(st.none(), st.integers(min_value=0, max_value=5)),  # follow-up of the n-th row so far
    st.sampled_from(["", "", "a", "b"]),  # external id
    st.sampled_from([0, 1]),  # which of two channels
    st.integers(min_value=-400, max_value=200),  # rated_at, days from now (partitions of other months)
)


@postgresql_only
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ratings=st.lists(_rating, min_size=1, max_size=8))
def test_the_rules_hold_as_the_model_declares_them(rated, ratings):
    """The model's own validation (its UniqueConstraints and unique fields) is the oracle for the database."""
    from django.core.exceptions import ValidationError

    centre = rated["centre"]
    channels = [rated["channel"], channel_for(centre, Channel.Kind.HOTLINE)] if ratings else []
    cases = [rated["case"], _case(centre)]
    now = timezone.now()
    with transaction.atomic():
        rows: list[Evaluation] = []
        for case, follow, external_id, channel, days in ratings:
            evaluation = Evaluation(
                centre=centre,
                channel=channels[channel],
                level=5,
                case=None if case is None else cases[case],
                follow_up_of=rows[follow % len(rows)] if follow is not None and rows else None,
                external_id=external_id,
                rated_at=now + timedelta(days=days),
            )
            try:
                evaluation.validate_unique()
                evaluation.validate_constraints()
                allowed = True
            except ValidationError:
                allowed = False
            try:
                with transaction.atomic():
                    evaluation.save()
                stored = True
            except IntegrityError:
                stored = False
            assert stored == allowed, (case, follow, external_id, channel, days)
            if stored:
                rows.append(evaluation)
        transaction.set_rollback(True)


# --- both databases: on_delete without database constraints ------------------------------------------


@pytest.mark.django_db
def test_deleting_an_evaluation_deletes_its_events_bad_review_and_follow_up_and_detaches_the_rest():
    centre = CentreFactory()
    channel = channel_for(centre)
    first = EvaluationFactory(centre=centre, channel=channel, level=1)
    follow_up = EvaluationFactory(centre=centre, channel=channel, level=2, follow_up_of=first)
    replaced = EvaluationFactory(centre=centre, channel=channel, superseded_by=first)
    EvaluationEvent.objects.create(evaluation=first, action="submitted")
    EvaluationEvent.objects.create(evaluation=follow_up, action="submitted")
    _bad_review(first)
    _bad_review(follow_up)
    complaint = ComplaintFactory(centre=centre, evaluation=first)
    kept = EvaluationFactory(centre=centre, channel=channel)
    EvaluationEvent.objects.create(evaluation=kept, action="submitted")
    counted = _counted(centre.id)

    first.delete()

    assert not Evaluation.objects.filter(id__in=[first.id, follow_up.id]).exists()
    assert list(EvaluationEvent.objects.values_list("evaluation_id", flat=True)) == [kept.id]
    assert not BadReview.objects.exists()
    complaint.refresh_from_db()
    replaced.refresh_from_db()
    assert (complaint.evaluation_id, replaced.superseded_by_id) == (None, None)
    assert _counted(centre.id) == counted - 2
    # A bulk delete is collected by Django too.
    Evaluation.objects.filter(id=kept.id).delete()
    assert not EvaluationEvent.objects.exists()


# --- the day counts after the conversion -------------------------------------------------------------


@pytest.mark.django_db
def test_day_counts_follow_insert_update_and_delete_on_the_partitioned_table():
    if connection.vendor == "postgresql":
        assert partitions.is_partitioned("complaints_evaluation")
    centre = CentreFactory()
    channel = channel_for(centre)
    today = timezone.localdate()
    moved_to = date(today.year - 1, 6, 15)

    def count(day: date) -> int:
        return sum(EvaluationDayCount.objects.filter(centre=centre, day=day).values_list("n", flat=True))

    a = EvaluationFactory(centre=centre, channel=channel, level=5)
    Evaluation.objects.bulk_create(
        [Evaluation(centre=centre, channel=channel, level=4, rated_at=timezone.now()) for _ in range(3)]
    )
    assert count(today) == 4
    # Moved to another month (another partition): counted on its new day.
    Evaluation.objects.filter(id=a.id).update(rated_at=datetime.combine(moved_to, datetime.min.time(), TZ))
    assert (count(today), count(moved_to)) == (3, 1)
    Evaluation.objects.filter(centre=centre, level=4).update(excluded=True)
    assert count(today) == 0
    Evaluation.objects.filter(id=a.id).delete()
    assert count(moved_to) == 0
    assert rollups.drift(rollups.EVALUATIONS) == []


def test_no_public_id_is_ever_assigned_by_code():
    """public_id's uniqueness across months rests on uuid4 (complaints/evaluation_uniques.py): nothing sets it."""
    field = Evaluation._meta.get_field("public_id")
    assert not field.editable
    assert field.default is uuid.uuid4


# --- reads that prune: a local-day range on rated_at itself -------------------------------------------


@pytest.mark.django_db
@settings(max_examples=30, deadline=None)
@given(
    minutes=st.lists(st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60), min_size=1, max_size=6),
    start=st.one_of(st.none(), st.integers(min_value=-3, max_value=3)),
    length=st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
)
def test_rated_within_selects_the_same_days_as_the_date_lookup(minutes, start, length):
    """complaints.selectors.rated_within replaces `rated_at__date__gte/lte` (which PostgreSQL cannot prune)."""
    from complaints.selectors import rated_within

    base = datetime(2026, 3, 1, 0, 0, tzinfo=TZ)  # local midnight: the boundaries are exercised to the minute
    first = None if start is None else (base + timedelta(days=start)).date()
    last = None if length is None else ((base + timedelta(days=(start or 0) + length)).date())
    with transaction.atomic():
        centre = CentreFactory()
        channel = channel_for(centre)
        rows = [
            EvaluationFactory(centre=centre, channel=channel, rated_at=base + timedelta(minutes=m)) for m in minutes
        ]
        by_date = Evaluation.objects.filter(id__in=[r.id for r in rows])
        if first:
            by_date = by_date.filter(rated_at__date__gte=first)
        if last:
            by_date = by_date.filter(rated_at__date__lte=last)
        by_range = Evaluation.objects.filter(rated_within(first, last), id__in=[r.id for r in rows])
        assert set(by_range.values_list("id", flat=True)) == set(by_date.values_list("id", flat=True))
        transaction.set_rollback(True)
