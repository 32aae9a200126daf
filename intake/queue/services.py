"""Writes of the queue feed: devices and their keys, a centre's settings, and the ingest of a batch of events."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from govservice.models import Centre
from staff.selectors import active_staff_of, windows_of

from ..models import hash_key
from .derive import ticket_derive
from .inputs import QueueEventInput
from .models import QueueDevice, QueueEvent, QueueSettings, QueueTicket

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedDeviceKey:
    device: QueueDevice
    raw_key: str  # shown once, never stored


@transaction.atomic
def queue_device_create(*, centre: Centre, name: str, created_by: Any = None) -> IssuedDeviceKey:
    prefix, raw = QueueDevice.generate()
    device = QueueDevice.objects.create(
        centre=centre, name=name, prefix=prefix, key_hash=hash_key(raw), created_by=created_by
    )
    logger.info("queue device %s… created for centre %s", prefix, centre.code)
    return IssuedDeviceKey(device=device, raw_key=raw)


def queue_device_revoke(*, device_id: int) -> QueueDevice:
    # Compare-and-set: revoking twice keeps the first time.
    QueueDevice.objects.filter(pk=device_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    device = QueueDevice.objects.get(pk=device_id)
    logger.info("queue device %s… revoked", device.prefix)
    return device


@transaction.atomic
def queue_settings_set(*, centre: Centre, wait_alert_minutes: int, actor: Any) -> QueueSettings:
    row, _created = QueueSettings.objects.select_for_update().get_or_create(centre=centre)
    row.wait_alert_minutes = wait_alert_minutes
    row.updated_by = actor
    row.save()
    return row


# --- ingest ----------------------------------------------------------------------------------


@dataclass
class EventResult:
    """What happened to one event of a batch, in the batch's order."""

    index: int
    status: str  # "created", "duplicate" or "rejected"
    ticket: str = ""
    out_of_order: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Accepted:
    index: int
    day: date
    number: str
    kind: str
    occurred_at: datetime
    matter: str
    window_id: int | None
    to_window_id: int | None
    staff_id: int | None


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, Mapping):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    return {"non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]}


def _check_time(value: datetime, now: datetime) -> str | None:
    if value > now + timedelta(seconds=settings.INTAKE_CLOCK_SKEW_SECONDS):
        return _("时间不能晚于当前时间。")
    days = settings.INTAKE_MAX_BACKDATE_DAYS
    if value < now - timedelta(days=days):
        return _("时间不能早于 %(days)d 天前。") % {"days": days}
    return None


def _validate(device: QueueDevice, items: Sequence[Any]) -> tuple[list[_Accepted], list[EventResult]]:
    """Each event checked on its own; references resolved in the device's centre, one query per kind."""
    results: list[EventResult] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    # One serializer checks every event: building its fields is most of a serializer's cost (DRF copies them
    # for each instance), and a batch has hundreds of events.
    checker = QueueEventInput()
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            results.append(EventResult(index, "rejected", errors={"non_field_errors": [_("每个事件须为 JSON 对象。")]}))
            continue
        try:
            valid.append((index, dict(checker.run_validation(item))))
        except serializers.ValidationError as exc:
            number = item.get("ticket")
            ticket = number[:20] if isinstance(number, str) else ""
            results.append(EventResult(index, "rejected", ticket=ticket, errors=_flatten(exc.detail)))
    window_codes = {d[k] for _i, d in valid for k in ("window", "to_window") if d.get(k)}
    staff_nos = {d["staff_no"] for _i, d in valid if d.get("staff_no")}
    windows = (
        dict(windows_of(centre=device.centre).filter(code__in=window_codes).values_list("code", "id"))
        if window_codes
        else {}
    )
    staff = (
        dict(active_staff_of(centre=device.centre).filter(staff_no__in=staff_nos).values_list("staff_no", "id"))
        if staff_nos
        else {}
    )
    now = timezone.now()
    accepted: list[_Accepted] = []
    for index, data in valid:
        errors: dict[str, list[str]] = {}
        time_error = _check_time(data["occurred_at"], now)
        if time_error:
            errors["occurred_at"] = [time_error]
        for name in ("window", "to_window"):
            if data.get(name) and data[name] not in windows:
                errors[name] = [_("本中心没有这个窗口号。")]
        if data.get("staff_no") and data["staff_no"] not in staff:
            errors["staff_no"] = [_("本中心没有这个工号的在岗人员。")]
        if errors:
            results.append(EventResult(index, "rejected", ticket=data["ticket"], errors=errors))
            continue
        accepted.append(
            _Accepted(
                index=index,
                day=timezone.localtime(data["occurred_at"]).date(),
                number=data["ticket"],
                kind=data["kind"],
                occurred_at=data["occurred_at"],
                matter=data.get("matter", ""),
                window_id=windows.get(data.get("window", "")),
                to_window_id=windows.get(data.get("to_window", "")),
                staff_id=staff.get(data.get("staff_no", "")),
            )
        )
    return accepted, results


@transaction.atomic
def queue_events_ingest(*, device: QueueDevice, items: Sequence[Any]) -> list[EventResult]:
    """Store a batch of events from one device; answer each event on its own, in the batch's order.

    Good events are kept whatever the others are. The same event twice (device + ticket + kind + its
    own time) is stored once: the second is answered `duplicate`. Each touched ticket is derived again
    from all its events in their own time order (intake.queue.derive), so arrival order never matters
    and an event that does not fit is stored with `out_of_order`.
    """
    accepted, results = _validate(device, items)
    if accepted:
        results += _store(device, accepted)
    return sorted(results, key=lambda r: r.index)


# What a ticket's row takes from its events (intake.queue.derive.Derived), and the columns written.
DERIVED_FIELDS = (
    "status",
    "matter",
    "taken_at",
    "called_at",
    "started_at",
    "ended_at",
    "window_id",
    "staff_id",
    "no_show",
    "transferred",
    "wait_seconds",
    "service_seconds",
)
TICKET_FIELDS = [name.removesuffix("_id") for name in DERIVED_FIELDS] + ["has_out_of_order"]


def _store(device: QueueDevice, accepted: list[_Accepted]) -> list[EventResult]:
    centre_id = device.centre_id
    wanted = {(a.day, a.number) for a in accepted}
    QueueTicket.objects.bulk_create(
        [QueueTicket(centre_id=centre_id, day=day, number=number) for day, number in sorted(wanted)],
        ignore_conflicts=True,
    )
    # Locked in id order: two batches touching the same tickets wait for each other, never deadlock.
    tickets = {
        (t.day, t.number): t
        for t in QueueTicket.objects.select_for_update()
        .filter(centre_id=centre_id, day__in={d for d, _n in wanted}, number__in={n for _d, n in wanted})
        .order_by("id")
        if (t.day, t.number) in wanted
    }
    existing: dict[int, list[QueueEvent]] = {t.pk: [] for t in tickets.values()}
    for event in QueueEvent.objects.filter(ticket_id__in=list(existing)):
        existing[event.ticket_id].append(event)
    seen = {(e.device_id, e.ticket_id, e.kind, e.occurred_at) for events in existing.values() for e in events}

    results: list[EventResult] = []
    new: list[tuple[_Accepted, QueueEvent]] = []
    now = timezone.now()
    for a in accepted:
        ticket = tickets[(a.day, a.number)]
        identity = (device.pk, ticket.pk, a.kind, a.occurred_at)
        if identity in seen:
            results.append(EventResult(a.index, "duplicate", ticket=a.number))
            continue
        seen.add(identity)
        event = QueueEvent(
            device=device,
            ticket=ticket,
            kind=a.kind,
            occurred_at=a.occurred_at,
            matter=a.matter,
            window_id=a.window_id,
            to_window_id=a.to_window_id,
            staff_id=a.staff_id,
            received_at=now,
        )
        new.append((a, event))
        existing[ticket.pk].append(event)
    if not new:
        return results

    touched = {event.ticket_id for _a, event in new}
    flag_changed: list[QueueEvent] = []
    for ticket in tickets.values():
        if ticket.pk not in touched:
            continue
        events = existing[ticket.pk]
        derived = ticket_derive(events)
        flagged = set(derived.out_of_order)
        for position, event in enumerate(events):
            out = position in flagged
            if event.pk is not None and event.out_of_order != out:
                flag_changed.append(event)
            event.out_of_order = out
        for name in DERIVED_FIELDS:
            setattr(ticket, name, getattr(derived, name))
        ticket.has_out_of_order = bool(flagged)
    QueueEvent.objects.bulk_create([event for _a, event in new])
    if flag_changed:
        QueueEvent.objects.bulk_update(flag_changed, ["out_of_order"])
    # One plain UPDATE per ticket: a bulk_update's CASE expression over a dozen fields costs more to build
    # than the round trips it saves (bench/queue_ingest.py).
    for ticket in tickets.values():
        if ticket.pk in touched:
            ticket.save(update_fields=TICKET_FIELDS)
    for a, event in new:
        results.append(EventResult(a.index, "created", ticket=a.number, out_of_order=event.out_of_order))
    return results
