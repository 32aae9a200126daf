"""Monthly partitions (govservice/partitions.py): the conversion from a filled database, the months ahead,
the archive round trip and the refusals. PostgreSQL only, except the last test: on SQLite the same models
keep plain tables and every function is a no-op."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext, isolate_apps

from govservice import partitions
from govservice.partition_uniques import TRIGGER_ENFORCED
from intake.queue.models import QueueEvent, QueueTicket
from notifications.models import SmsEvent, SmsMessage
from notifications.services import sms_enqueue
from tests.factories.intake import queue_device
from tests.factories.notifications import SmsMessageFactory

TZ = ZoneInfo("Asia/Shanghai")
postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="declarative partitioning is PostgreSQL's; SQLite keeps plain tables"
)

BEFORE = [("notifications", "0012_notices_wording_per_reader"), ("intake", "0010_merge_hotline")]


def _migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _months() -> list[dt.datetime]:
    """Times across months: far past, last year, the current month, next month, far future; 00:30 local
    time on the 1st is still the previous month in UTC, so a month taken in UTC would be wrong."""
    now = partitions.current_month()
    last_year = partitions.add_months(now, -13)
    following = partitions.add_months(now, 1)
    return [
        dt.datetime(2001, 3, 15, 12, 0, tzinfo=TZ),
        dt.datetime(last_year.year, last_year.month, 1, 0, 30, tzinfo=TZ),
        dt.datetime(now.year, now.month, 2, 9, 0, tzinfo=TZ),
        dt.datetime(following.year, following.month, 1, 0, 30, tzinfo=TZ),
        dt.datetime(2040, 1, 31, 23, 59, tzinfo=TZ),
    ]


def _partitions(table: str) -> dict[str, int]:
    """Partition name -> rows really in it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608 - catalogue names
            counts[name] = cursor.fetchone()[0]
    return counts


def _is_partitioned(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        return cursor.fetchone()[0] == 1


def _index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def _snapshot(model) -> dict[int, dict]:
    return {row["id"]: row for row in model.objects.order_by("id").values()}


@postgresql
@pytest.mark.django_db(transaction=True)
def test_the_migrations_convert_a_filled_database_and_back_without_losing_a_row(centre):
    device, _key = queue_device(centre)
    times = _months()
    try:
        _migrate(BEFORE)
        assert not _is_partitioned("notifications_smsmessage")
        plain_indexes = {t: _index_names(t) for t in ("notifications_smsmessage", "intake_queueevent")}
        for i, at in enumerate(times):
            message = SmsMessageFactory(key=f"fill:{i}", centre=centre)
            SmsMessage.objects.filter(id=message.id).update(created_at=at, updated_at=at)
            for kind in ("queued", "claimed"):
                event = SmsEvent.objects.create(message=message, kind=kind, new_status=kind, note=f"n{i}")
                SmsEvent.objects.filter(id=event.id).update(created_at=at)
            ticket = QueueTicket.objects.create(centre=centre, day=at.date(), number=f"A{i:03d}")
            QueueEvent.objects.create(device=device, ticket=ticket, kind="taken", occurred_at=at)
        SmsMessage.objects.filter(key="fill:0").delete()  # the sequence is past the highest id left
        with connection.cursor() as cursor:  # a trigger of the project's own on a converted table
            cursor.execute("CREATE TABLE partitions_test_seen (n int)")
            cursor.execute(
                "CREATE FUNCTION partitions_test_seen() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO partitions_test_seen VALUES (1); RETURN NULL; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER partitions_test_seen AFTER INSERT ON notifications_smsevent "
                "FOR EACH STATEMENT EXECUTE FUNCTION partitions_test_seen()"
            )
            cursor.execute("SELECT last_value FROM notifications_smsmessage_id_seq")
            last_message_id = cursor.fetchone()[0]
        before = {m: _snapshot(m) for m in (SmsMessage, SmsEvent, QueueEvent)}
        assert len(before[SmsMessage]) == 4 and len(before[SmsEvent]) == 8 and len(before[QueueEvent]) == 5

        _migrate()

        for model, rows in before.items():
            assert _snapshot(model) == rows, model
        for model, key in ((SmsMessage, "created_at"), (SmsEvent, "created_at"), (QueueEvent, "occurred_at")):
            table = model._meta.db_table
            assert _is_partitioned(table)
            parts = _partitions(table)
            local = [row[key].astimezone(TZ) for row in before[model].values()]
            wanted = {partitions.partition_name(table, dt.date(at.year, at.month, 1)) for at in local}
            ahead = {
                partitions.partition_name(table, partitions.add_months(partitions.current_month(), n)) for n in range(4)
            }
            assert set(parts) >= wanted | ahead | {partitions.default_name(table)}
            assert parts[partitions.default_name(table)] == 0
        # Every index and constraint name the plain tables had, except the unique rule kept by a trigger.
        assert plain_indexes["intake_queueevent"] <= _index_names("intake_queueevent")
        assert "queue_event_once_per_device_ticket_kind_time" in _index_names("intake_queueevent")
        assert plain_indexes["notifications_smsmessage"] - {"notifications_smsmessage_key_key"} <= _index_names(
            "notifications_smsmessage"
        )
        # New rows get fresh ids after the old highest; the kept trigger fires; the key rule holds.
        fresh = SmsMessageFactory(key="after:1", centre=centre)
        assert fresh.id == last_message_id + 1
        SmsEvent.objects.create(message=fresh, kind="queued", new_status="queued")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM partitions_test_seen")
            assert cursor.fetchone()[0] == 1
        with pytest.raises(IntegrityError, match="notifications_smsmessage_key_key"), transaction.atomic():
            SmsMessageFactory(key="fill:3", centre=centre)  # a key from a month long past
        event = before[QueueEvent][max(before[QueueEvent])]
        # The rule holds; PostgreSQL names the partition's index in the error, not the parent's (docs/partitions.md).
        with (
            pytest.raises(IntegrityError, match=r"Key \(device_id, ticket_id, kind, occurred_at\)"),
            transaction.atomic(),
        ):
            QueueEvent.objects.create(
                device=device, ticket_id=event["ticket_id"], kind="taken", occurred_at=event["occurred_at"]
            )
        after = {m: _snapshot(m) for m in (SmsMessage, SmsEvent, QueueEvent)}

        _migrate(BEFORE)

        for model, rows in after.items():
            assert _snapshot(model) == rows, model
        assert not _is_partitioned("notifications_smsmessage")
        assert not _is_partitioned("intake_queueevent")
        assert _index_names("notifications_smsmessage") >= plain_indexes["notifications_smsmessage"]
        with pytest.raises(IntegrityError), transaction.atomic():
            SmsMessageFactory(key="fill:3", centre=centre)  # the unique index is back
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS partitions_test_seen ON notifications_smsevent")
            cursor.execute("DROP FUNCTION IF EXISTS partitions_test_seen()")
            cursor.execute("DROP TABLE IF EXISTS partitions_test_seen")
        _migrate()


@postgresql
@pytest.mark.django_db
def test_rows_waiting_in_the_default_partition_move_into_a_new_months_partition(centre):
    old = dt.datetime(1999, 7, 9, 10, 0, tzinfo=TZ)  # no partition: lands in DEFAULT
    messages = [SmsMessageFactory(key=f"late:{i}", centre=centre) for i in range(3)]
    SmsMessage.objects.filter(id__in=[m.id for m in messages[:2]]).update(created_at=old)
    assert _partitions("notifications_smsmessage")["notifications_smsmessage_default"] == 2

    created = partitions.ensure_partitions(SmsMessage, months_ahead=6)

    assert "notifications_smsmessage_p199907" in created
    counts = _partitions("notifications_smsmessage")
    assert counts["notifications_smsmessage_p199907"] == 2
    assert counts["notifications_smsmessage_default"] == 0
    assert partitions.partition_name(
        "notifications_smsmessage", partitions.add_months(partitions.current_month(), 6)
    ) in set(counts)
    assert SmsMessage.objects.count() == 3  # nothing lost, nothing doubled
    assert partitions.ensure_partitions(SmsMessage, months_ahead=6) == []  # idempotent
    with pytest.raises(IntegrityError), transaction.atomic():  # the key rule sees the moved rows
        SmsMessageFactory(key="late:0", centre=centre)


@postgresql
@pytest.mark.django_db(transaction=True)
def test_archive_exports_a_month_then_drops_only_it_and_restore_brings_it_back(centre, tmp_path):
    month = partitions.add_months(partitions.current_month(), -2)
    other = partitions.add_months(partitions.current_month(), -1)
    partitions.ensure_partitions(SmsEvent)
    message = SmsMessageFactory(key="archive:1", centre=centre)
    ids = {}
    for label, first in (("archived", month), ("kept", other)):
        at = dt.datetime(first.year, first.month, 1, 0, 10, tzinfo=TZ)
        event = SmsEvent.objects.create(message=message, kind="queued", new_status="queued", note=label)
        SmsEvent.objects.filter(id=event.id).update(created_at=at)
        ids[label] = event.id
    partitions.ensure_partitions(SmsEvent)  # both months got their partitions from DEFAULT
    name = partitions.partition_name("notifications_smsevent", month)
    try:
        archive = partitions.detach_and_archive(SmsEvent, month, directory=tmp_path)

        assert archive.rows == 1
        assert name not in _partitions("notifications_smsevent")
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [name])
            assert cursor.fetchone()[0] is None  # dropped, not only detached
        with gzip.open(archive.path, "rt", encoding="utf-8") as lines:
            rows = [json.loads(line) for line in lines]
        assert [(r["id"], r["note"]) for r in rows] == [(ids["archived"], "archived")]
        assert archive.path.stat().st_mode & 0o077 == 0
        assert list(SmsEvent.objects.values_list("id", flat=True)) == [ids["kept"]]

        assert partitions.restore_archive(SmsEvent, archive.path) == 1
        partitions.ensure_partitions(SmsEvent)
        assert _partitions("notifications_smsevent")[name] == 1
        assert SmsEvent.objects.get(id=ids["archived"]).note == "archived"
    finally:
        SmsEvent.objects.all().delete()
        SmsMessage.objects.all().delete()


@postgresql
@pytest.mark.django_db
def test_the_current_and_future_months_are_never_archived(tmp_path):
    for month in (partitions.current_month(), partitions.add_months(partitions.current_month(), 1)):
        with pytest.raises(partitions.PartitionError, match="current or a future"):
            partitions.detach_and_archive(SmsEvent, month, directory=tmp_path)
    assert partitions.archivable(SmsEvent, partitions.add_months(partitions.current_month(), 5)) == [
        p for p in partitions.list_partitions(SmsEvent) if p.month is not None and p.month < partitions.current_month()
    ]


@postgresql
@pytest.mark.django_db
@isolate_apps("govservice")
def test_a_unique_rule_without_the_key_is_refused_by_name_unless_dropped():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE partitions_probe (id bigint PRIMARY KEY, at timestamptz NOT NULL, code text)")
        cursor.execute("CREATE UNIQUE INDEX partitions_probe_code_uniq ON partitions_probe (code)")
        cursor.execute("INSERT INTO partitions_probe VALUES (1, '2020-01-01', 'a'), (2, '2026-01-01', 'b')")

    class Probe(models.Model):  # noqa: DJ008
        at = models.DateTimeField()
        code = models.TextField()

        class Meta:
            app_label = "govservice"
            db_table = "partitions_probe"
            managed = False

    with connection.schema_editor() as editor:  # noqa: SIM117 - three steps under one editor
        with pytest.raises(partitions.PartitionError, match="partitions_probe_code_uniq"):
            partitions.convert_to_monthly(editor, Probe, "at")
        with pytest.raises(partitions.PartitionError, match="no unique rule.*nonesuch"):
            partitions.convert_to_monthly(editor, Probe, "at", drop_uniques=["partitions_probe_code_uniq", "nonesuch"])
        partitions.convert_to_monthly(editor, Probe, "at", drop_uniques=["partitions_probe_code_uniq"])
    assert _is_partitioned("partitions_probe")
    assert {p: n for p, n in _partitions("partitions_probe").items() if n} == {
        "partitions_probe_p202001": 1,
        "partitions_probe_p202601": 1,
    }


@postgresql
@pytest.mark.django_db
@isolate_apps("govservice")
def test_a_foreign_key_to_the_table_still_declared_in_the_models_is_refused_by_name():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE partitions_target (id bigint PRIMARY KEY, at timestamptz NOT NULL)")
        cursor.execute(
            "CREATE TABLE partitions_source (id bigint PRIMARY KEY, target_id bigint REFERENCES partitions_target)"
        )

    class Target(models.Model):  # noqa: DJ008
        at = models.DateTimeField()

        class Meta:
            app_label = "govservice"
            db_table = "partitions_target"
            managed = False

    class Source(models.Model):  # noqa: DJ008
        target = models.ForeignKey(Target, on_delete=models.CASCADE)

        class Meta:
            app_label = "govservice"
            db_table = "partitions_source"
            managed = False

    with (
        connection.schema_editor() as editor,
        pytest.raises(partitions.PartitionError, match=r"govservice\.Source\.target"),
    ):
        partitions.convert_to_monthly(editor, Target, "at")
    assert not _is_partitioned("partitions_target")

    Source._meta.get_field("target").db_constraint = False  # what the models say after the AlterField
    with connection.schema_editor() as editor:
        partitions.convert_to_monthly(editor, Target, "at")
    assert _is_partitioned("partitions_target")
    with connection.cursor() as cursor:  # the database FK went with it
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'partitions_source'::regclass AND contype = 'f'"
        )
        assert cursor.fetchone()[0] == 0


@postgresql
@pytest.mark.django_db
def test_the_outbox_still_answers_a_repeated_key_with_the_first_message(centre):
    first = sms_enqueue(key="repeat:1", phone="13900001111", template_code="t", params={}, centre=centre)
    again = sms_enqueue(key="repeat:1", phone="13900002222", template_code="t", params={}, centre=centre)
    assert again.id == first.id
    assert SmsMessage.objects.filter(key="repeat:1").count() == 1


@postgresql
@pytest.mark.django_db
def test_the_key_trigger_costs_no_statement_of_the_application(centre):
    """The rule is the database's: inserting a message is still one INSERT from Django."""
    with CaptureQueriesContext(connection) as queries:
        SmsMessageFactory(key="cost:1", centre=centre)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert set(TRIGGER_ENFORCED) == {"notifications_smsmessage_key_key"}


@postgresql
@pytest.mark.django_db
def test_status_lists_every_registered_table_with_its_months():
    for model, _key in partitions.partitioned_models():
        infos = partitions.list_partitions(model)
        assert infos, model
        assert infos[-1].month is None  # DEFAULT last
        months = [p.month for p in infos[:-1]]
        assert months == sorted(months)
        assert partitions.current_month() in months


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite behaviour")
@pytest.mark.django_db
def test_on_sqlite_the_same_models_keep_plain_tables(centre):
    assert partitions.ensure_partitions(SmsMessage) == []
    assert partitions.list_partitions(SmsMessage) == []
    editor = SimpleNamespace(connection=connection)  # SQLite's schema editor wants FK checks off: not needed
    partitions.convert_to_monthly(editor, SmsMessage, "created_at")  # a no-op
    SmsMessageFactory(key="plain:1", centre=centre)
    with pytest.raises(IntegrityError), transaction.atomic():
        SmsMessageFactory(key="plain:1", centre=centre)


@postgresql
@pytest.mark.django_db(transaction=True)
def test_two_writers_of_one_key_the_second_waits_and_gets_the_unique_violation(centre):
    """Two transactions insert the same key at once: the second waits on the rule's advisory lock until the
    first commits, then sees its row and fails with the constraint's name (never two rows)."""
    import threading

    import psycopg2
    import psycopg2.errors

    settings = connection.settings_dict
    dsn = {
        "host": settings["HOST"],
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "dbname": settings["NAME"],
    }
    insert = (
        "INSERT INTO notifications_smsmessage (key, phone, phone_hash, template_code, params, status, send_after, "
        "attempts, retries, possible_duplicates, provider_message_id, last_error, created_at, updated_at) "
        "VALUES ('race:1', 'x', 'h', 't', '{}', 'queued', now(), 0, 0, 0, '', '', now(), now())"
    )
    outcome: list[BaseException | None] = []
    first, second, watcher = (psycopg2.connect(**dsn) for _ in range(3))
    watcher.autocommit = True
    try:
        first.cursor().execute(insert)  # not committed yet
        second_pid = second.get_backend_pid()

        def write() -> None:
            try:
                second.cursor().execute(insert)
                second.commit()
                outcome.append(None)
            except BaseException as error:  # noqa: BLE001 - handed to the test's thread
                second.rollback()
                outcome.append(error)

        thread = threading.Thread(target=write)
        thread.start()
        waiting = watcher.cursor()
        while True:  # until the second writer waits on the rule's advisory lock
            waiting.execute(
                "SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = 'advisory' AND NOT granted", [second_pid]
            )
            if waiting.fetchone():
                break
            thread.join(0.01)
        first.commit()
        thread.join()
        assert isinstance(outcome[0], psycopg2.errors.UniqueViolation)
        assert outcome[0].diag.constraint_name == "notifications_smsmessage_key_key"
        assert SmsMessage.objects.filter(key="race:1").count() == 1
    finally:
        for conn in (first, second, watcher):
            conn.close()
        SmsMessage.objects.filter(key="race:1").delete()
