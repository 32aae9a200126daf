"""The outbox: queue and cancel messages, and the one transition function every move goes through."""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.db.models.sql import UpdateQuery
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.crypto import lookup_hash, lookup_hashes
from govservice.exceptions import InvalidTransition, ValidationFailed
from govservice.masking import scrub
from govservice.models import Centre
from govservice.numbers import normalize_phone as normalize_phone  # one spelling of a number everywhere
from govservice.sealed import scrub_json
from staff.models import User

from ..models import SmsEvent, SmsMessage, SmsOptOut
from .templates import sms_template_current, template_missing_params

logger = logging.getLogger(__name__)

Status = SmsMessage.Status
Kind = SmsEvent.Kind

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
SEND_WINDOW = (time(8, 0), time(20, 0))  # Asia/Shanghai: no SMS at night


def max_attempts() -> int:
    return settings.SMS_MAX_ATTEMPTS


def sending_timeout() -> timedelta:
    """How long a claimed message may stay in SENDING before the reaper takes it back.

    Far above the gateway time-out, so a slow but live worker is not overtaken.
    """
    return timedelta(seconds=settings.SMS_SENDING_TIMEOUT_SECONDS)


def backoff(attempt: int) -> timedelta:
    """30 s, 60 s, 2 min, 4 min, ... capped at 1 h; kept in send_after, never as a Celery countdown."""
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 3600))


# --- The outbox: queue and cancel ------------------------------------------------------------------


@transaction.atomic
def sms_enqueue(
    *,
    key: str,
    phone: str,
    template_code: str,
    params: dict[str, Any],
    send_after: datetime | None = None,
    centre: Centre | None = None,
) -> SmsMessage:
    """Queue one SMS under a natural key; queuing the same key again returns the first row.

    Checked now: the number must be a mainland mobile number, and when the
    template exists every one of its parameters must be given. A message that
    fails a check is still stored, as FAILED with the reason, instead of
    raising: callers queue from on_commit hooks and background tasks, where an
    exception would break the caller's own work, and a failed message shows on
    the leaders' outbox list. A template created later in the admin is still
    honoured at send time.
    """
    existing = SmsMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    phone = normalize_phone(phone)
    # The outbox keeps its parameters for retries and the leaders' list: a number a person typed
    # into a note that ends up in an SMS is stored (and sent) masked; the recipient's own number
    # is the encrypted `phone`.
    params = scrub_json(params)
    problem = ""
    opted_out = bool(MOBILE_RE.match(phone)) and sms_opted_out(phone)
    if not MOBILE_RE.match(phone):
        problem = _("手机号格式不正确。")
    else:
        template = sms_template_current(code=template_code)
        missing = template_missing_params(template, params) if template else []
        if missing:
            problem = _("短信模板 %(code)s 缺少参数：%(names)s") % {"code": template_code, "names": "、".join(missing)}
    message, created = SmsMessage.objects.get_or_create(
        key=key,
        defaults={
            "phone": phone,
            "phone_hash": lookup_hash(phone),
            "template_code": template_code,
            "params": params,
            "send_after": send_after or timezone.now(),
            "centre": centre,
            "status": Status.FAILED if problem else Status.CANCELLED if opted_out else Status.QUEUED,
            "last_error": scrub(problem)[:500],
        },
    )
    if created:
        SmsEvent.objects.create(
            message=message,
            kind=SmsEvent.Kind.FAILED if problem else Kind.CANCELLED if opted_out else Kind.QUEUED,
            old_status="",
            new_status=message.status,
            note=scrub(problem) or (_("该号码已退订短信，不再发送。") if opted_out else ""),
        )
        if problem:
            logger.warning("sms %s not queued: %s", message.id, scrub(problem))
    return message


@transaction.atomic
def sms_cancel(*, key_prefix: str) -> int:
    """Cancel every still-queued SMS whose key starts with `key_prefix`; returns how many.

    A message already claimed by a worker is past cancelling: it is on its way.
    """
    if not key_prefix:
        raise ValidationFailed(_("取消短信须指定键前缀。"), field="key_prefix")
    ids = list(SmsMessage.objects.filter(key__startswith=key_prefix, status=Status.QUEUED).values_list("id", flat=True))
    return len(_move_many(ids=ids, from_status=Status.QUEUED, to=Status.CANCELLED, kind=Kind.CANCELLED))


@transaction.atomic
def sms_cancel_one(*, message_id: int, actor: User, note: str = "") -> SmsMessage:
    """Cancel one still-queued message on a member of staff's say-so; recorded with who did it.

    Only QUEUED messages can be cancelled: one a worker has claimed is on its way (InvalidTransition).
    """
    message = SmsMessage.objects.select_for_update().get(id=message_id)
    if message.status != Status.QUEUED:
        raise InvalidTransition(current=message.get_status_display(), requested=str(Status.CANCELLED.label))
    _move(
        message_id=message_id,
        from_status=Status.QUEUED,
        to=Status.CANCELLED,
        kind=Kind.CANCELLED,
        note=note or _("人工取消。"),
        actor=actor,
    )
    message.refresh_from_db()
    return message


@transaction.atomic
def sms_requeue(*, message_id: int, actor: User, note: str = "") -> SmsMessage:
    """Send a failed message again, on a member of staff's say-so (e.g. after the template was fixed).

    Its attempts start again from zero; the history keeps the earlier ones.
    Only FAILED messages can be sent again: anything else raises InvalidTransition.
    """
    message = SmsMessage.objects.select_for_update().get(id=message_id)
    if message.status != Status.FAILED:
        raise InvalidTransition(current=message.get_status_display(), requested=str(Status.QUEUED.label))
    _move(
        message_id=message_id,
        from_status=Status.FAILED,
        to=Status.QUEUED,
        kind=Kind.REQUEUED,
        note=note or _("人工重新发送。"),
        actor=actor,
        attempts=0,
        send_after=timezone.now(),
        claimed_at=None,
        handed_over_at=None,
        last_error="",
    )
    message.refresh_from_db()
    return message


# --- The one transition function ---------------------------------------------------------------------


def _move(
    *,
    message_id: int,
    from_status: str,
    to: str,
    kind: str,
    note: str = "",
    where: dict[str, Any] | None = None,
    actor: User | None = None,
    **updates: Any,
) -> bool:
    """Compare-and-set one message from `from_status` to `to` and record it; False if someone else moved it.

    `where` narrows the condition (e.g. the attempt number this worker owns).
    """
    return bool(
        _move_many(
            ids=[message_id],
            from_status=from_status,
            to=to,
            kind=kind,
            note=note,
            where=where,
            actor=actor,
            **updates,
        )
    )


def _move_many(
    *,
    ids: Sequence[int] | QuerySet[SmsMessage, int],
    from_status: str,
    to: str,
    kind: str,
    note: str = "",
    notes: Mapping[int, str] | None = None,
    where: dict[str, Any] | None = None,
    actor: User | None = None,
    **updates: Any,
) -> list[tuple[int, int]]:
    """Compare-and-set many messages at once and record one event each; returns (id, attempts) of those moved.

    Every status change of an SMS goes through here: one UPDATE for the batch
    (only rows still in `from_status`, narrowed by `where`, change: a row
    someone else moved meanwhile is left out) and one INSERT of their history
    rows. `ids` is a list, or a queryset of ids (e.g. the due rows, locked
    with SKIP LOCKED) used as a subquery so that the claim is one statement.
    `notes` gives a message its own note (e.g. the provider's id).
    """
    if to != from_status and to not in SmsMessage.TRANSITIONS[from_status]:
        raise ValueError(f"SMS transition {from_status} → {to} is not allowed")
    if not isinstance(ids, QuerySet) and not ids:
        return []
    # No savepoint when called inside a transaction (the claim): the UPDATE and
    # its history rows stand or fall with it, and a savepoint costs two round trips.
    with transaction.atomic(savepoint=False):
        moved = _update_returning(
            _by_ids(ids, status=from_status).filter(**(where or {})),
            status=to,
            updated_at=timezone.now(),
            **updates,
        )
        if moved:
            notes = notes or {}
            actor_id = actor.pk if actor is not None else None
            default_note = scrub(note)[:500]
            _insert_events(
                [
                    (
                        message_id,
                        kind,
                        from_status,
                        to,
                        attempt,
                        scrub(notes[message_id])[:500] if message_id in notes else default_note,
                        actor_id,
                    )
                    for message_id, attempt in moved
                ]
            )
    return moved


def _by_ids(ids: Sequence[int] | QuerySet[SmsMessage, int], *, status: str) -> QuerySet[SmsMessage]:
    """The messages with these ids that are in `status`, found through the primary key.

    The status test is written so that the (status, send_after) index cannot
    serve it. PostgreSQL's statistics lag behind a queue that has just been
    filled (100 k rows go QUEUED → SENDING within seconds): with a plain
    `status = 'sending'` it chose to scan every SENDING row and filter them by
    id (24 ms for 30 k rows, growing with the backlog) instead of the batch's
    primary-key look-ups (0.3 ms).
    """
    return SmsMessage.objects.alias(status_unindexed=Concat("status", Value(""))).filter(
        id__in=ids, status_unindexed=status
    )


# The columns of each history row, in the order callers give them (created_at is the model's default).
EVENT_COLUMNS = ("message_id", "kind", "old_status", "new_status", "attempt", "note", "actor_id")


def _insert_events(rows: list[tuple[Any, ...]]) -> None:
    """Insert history rows (EVENT_COLUMNS values), one statement per 500.

    A hand-written multi-row INSERT gained under 2 % on the dispatch figure (bench/private_api.py,
    docs/private-api.md #2), so this is plain bulk_create()."""
    SmsEvent.objects.bulk_create(
        [SmsEvent(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in rows], batch_size=500
    )


def _update_returning(queryset: QuerySet[SmsMessage], **updates: Any) -> list[tuple[int, int]]:
    """`queryset.update(**updates)` that also says which rows changed: (id, attempts after the update).

    PostgreSQL and SQLite (3.35+) do it in the UPDATE itself (RETURNING), so a
    row is reported only if this statement changed it. QuerySet.update() has
    no `returning`, so this takes the same path through Django's update
    compiler that Model.save() uses for returning fields. A database without
    UPDATE … RETURNING reads the rows locked first, then updates exactly those.
    """
    meta = SmsMessage._meta
    fields = [meta.get_field("id"), meta.get_field("attempts")]
    if connection.features.can_return_rows_from_update:
        # Kept (docs/private-api.md): Django's private UpdateQuery and compiler, because
        # QuerySet.update() cannot say which rows it changed and exactly-once rests on that; it
        # serves the "reminder dispatch" figure of docs/benchmarks.md (one statement per batch).
        # chain(klass) returns a klass; the stubs type it as the base Query
        query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
        query.add_update_values(updates)
        query.annotations = {}
        return [(row[0], row[1]) for row in query.get_compiler(queryset.db).execute_returning_sql(fields)]
    with transaction.atomic(savepoint=False):
        ids = list(queryset.select_for_update().values_list("id", flat=True))
        if not ids:
            return []
        SmsMessage.objects.filter(id__in=ids).update(**updates)
        return list(SmsMessage.objects.filter(id__in=ids).values_list("id", "attempts"))


def _ids(moved: list[tuple[int, int]]) -> list[int]:
    return [message_id for message_id, _attempt in moved]


def _by(messages: Iterable[SmsMessage], key: Any) -> dict[Any, list[SmsMessage]]:
    groups: dict[Any, list[SmsMessage]] = defaultdict(list)
    for message in messages:
        groups[key(message)].append(message)
    return groups


def _per_row(values: dict[int, str]) -> RawSQL:
    """`CASE id WHEN … THEN … END`: each row of one UPDATE gets its own value (e.g. the provider's id).

    One raw expression with parameters rather than a Case() of When()s: Django
    resolves each When() like a filter, which cost more than the send itself.
    """
    sql = "CASE id " + " ".join("WHEN %s THEN %s" for _ in values) + " END"
    params = [item for pair in values.items() for item in pair]
    return RawSQL(sql, params, output_field=CharField())  # noqa: S611 - values are parameters, never SQL


# --- The sending window ----------------------------------------------------------------------------


def in_send_window(moment: datetime) -> bool:
    local = timezone.localtime(moment).time()
    start, end = SEND_WINDOW
    return start <= local < end


def next_window_start(moment: datetime) -> datetime:
    """The next 08:00 local time strictly after today's window (for a deferral to tomorrow)."""
    local = timezone.localtime(moment)
    start = SEND_WINDOW[0]
    candidate = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


def _day_start(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)


# --- Opt-out (退订) ------------------------------------------------------------------------------------


def sms_opted_out(phone: str) -> bool:
    """Whether the number's owner asked for no SMS (hashed under any lookup key)."""
    hashes = lookup_hashes(normalize_phone(phone))
    return bool(hashes) and SmsOptOut.objects.filter(phone_hash__in=hashes).exists()


def sms_opt_in(*, phone: str) -> bool:
    """The number's owner wants SMS again (e.g. asked at the window); True if an opt-out was removed."""
    deleted, _rows = SmsOptOut.objects.filter(phone_hash__in=lookup_hashes(normalize_phone(phone))).delete()
    return bool(deleted)


@transaction.atomic
def sms_opt_out(*, phone: str, actor: User | None = None, note: str = "") -> int:
    """Record that a number wants no SMS and cancel what is still queued to it; returns how many were cancelled.

    Messages already claimed by a worker are on their way. Recording the same number again changes nothing.
    """
    phone = normalize_phone(phone)
    if not MOBILE_RE.match(phone):
        raise ValidationFailed(_("手机号格式不正确。"), field="phone")
    hashes = lookup_hashes(phone)
    if not SmsOptOut.objects.filter(phone_hash__in=hashes).exists():
        SmsOptOut.objects.create(phone=phone, phone_hash=lookup_hash(phone), note=scrub(note), created_by=actor)
    ids = list(SmsMessage.objects.filter(phone_hash__in=hashes, status=Status.QUEUED).values_list("id", flat=True))
    return len(
        _move_many(
            ids=ids,
            from_status=Status.QUEUED,
            to=Status.CANCELLED,
            kind=Kind.CANCELLED,
            note=_("该号码已退订短信，不再发送。"),
        )
    )
