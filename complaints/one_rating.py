"""一次一评: which ratings of a window count, whatever channel brought them.

The rule, per centre (limits in `OneRatingPolicy`):

1. One phone, one window, one local day: one rating counts. A second one REPLACES the first: the
   citizen's latest opinion counts, and the earlier one is kept, marked `superseded` (with
   `superseded_by`) and left out of every figure. Replacing rather than refusing, because a
   refusal would lose the later, better-informed opinion (a citizen who rated in haste, or
   whose matter was sorted out later that day), and because nothing is silently dropped: both
   ratings stay on record. A rating that arrives late with an earlier time (a channel's
   backlog) is the older opinion: it is the one marked superseded.
2. A rating without a phone from the citizen's own device (the rating page's cookie): at most
   `device_daily_limit` count per device, window and day; the ones beyond are kept, marked
   `device_limit`. (The counter's rating device serves every citizen, so it is not a "device"
   here: only a personal device is limited per day.)
3. A rating from the phone of a staff member of the centre (any of them: a colleague rating a
   colleague counts no more than oneself) is kept, marked `staff_phone`.
4. A burst: `burst_count` or more ratings from one phone or one device within `burst_minutes`.
   All ratings of the burst that still counted are marked `burst`, the new one too.

A marked rating is also `excluded` (the one flag every figure, the dashboard's day counts and the
service-star scoring read), gives the citizen no bad-review flow, and never replaces another. A
mark is never taken back. Ratings of a case (一事一评, one per case already), follow-up ratings
(追评) and the staff's own checks (cross checks, spot checks, the leader's window) are outside
rules 1 and 2; the staff's own checks are outside the whole rule.

`evaluation_submit_once` (every path: the QR page, the API, imports) calls `screen` before the
insert and `apply` after it, in one transaction, under a lock per phone and per device.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.crypto import lookup_hash, lookup_hashes
from govservice.replica import use_primary
from staff.selectors import active_staff_of

from .models import Channel, Evaluation, EvaluationEvent, OneRatingPolicy, Screening
from .selectors import evaluation_list_for, rated_within

# Channels the staff run themselves: their ratings are checks, not citizens' opinions.
STAFF_RUN_KINDS = frozenset({Channel.Kind.CROSS_CHECK, Channel.Kind.SPOT_CHECK, Channel.Kind.LEADER_WINDOW})
STAFF_PHONES_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Rating:
    """What the rule reads of one rating. `phone` and `device` are opaque keys ("" when none)."""

    id: int | None  # None: the new rating, not yet saved
    rated_at: datetime
    window_id: int | None
    phone: str
    device: str
    in_group: bool  # a rating of a window (not of a case, not a follow-up): rules 1 and 2 apply
    excluded: bool
    screening: str = ""

    @property
    def counts(self) -> bool:
        return not self.excluded

    def order(self) -> tuple[datetime, int]:
        # The new rating (no id yet) is the latest of equal times: it arrived last.
        return (self.rated_at, self.id if self.id is not None else 2**62)


@dataclass
class Limits:
    device_daily_limit: int = 1
    burst_count: int = 3
    burst_minutes: int = 5


@dataclass
class Decision:
    """The new rating's mark, and the earlier ratings to mark (id → mark; superseded ones point to the new one)."""

    screening: str = ""
    superseded_by: int | None = None
    marks: dict[int, str] = field(default_factory=dict)

    @property
    def replaced(self) -> list[int]:
        return [pk for pk, mark in self.marks.items() if mark == Screening.SUPERSEDED]


def _day(moment: datetime) -> object:
    return timezone.localtime(moment).date()


def decide(new: Rating, earlier: Iterable[Rating], *, staff_phone: bool, limits: Limits) -> Decision:
    """The rule above, for one new rating among the earlier ratings of its phone and device. Pure."""
    earlier = [r for r in earlier if r.id is not None]
    decision = Decision()
    if staff_phone and new.phone:
        decision.screening = Screening.STAFF_PHONE
    _burst(new, earlier, limits, decision)
    if decision.screening or new.excluded or not new.in_group or new.window_id is None:
        return decision
    same_day = [
        r
        for r in earlier
        if r.in_group and r.window_id == new.window_id and _day(r.rated_at) == _day(new.rated_at) and r.counts
    ]
    same_day = [r for r in same_day if r.id not in decision.marks]
    if new.phone:
        group = [r for r in same_day if r.phone == new.phone]
        winner = max([*group, new], key=Rating.order)
        if winner is new:
            decision.marks.update(dict.fromkeys((r.id for r in group if r.id is not None), Screening.SUPERSEDED))
        else:
            decision.screening, decision.superseded_by = Screening.SUPERSEDED, winner.id
            # Earlier counting ones of the group other than the winner (only in old data) go too.
            decision.marks.update(
                dict.fromkeys((r.id for r in group if r is not winner and r.id is not None), Screening.SUPERSEDED)
            )
    elif new.device:
        counted = [r for r in same_day if r.device == new.device and not r.phone]
        if len(counted) >= limits.device_daily_limit:
            decision.screening = Screening.DEVICE_LIMIT
    return decision


def _burst(new: Rating, earlier: list[Rating], limits: Limits, decision: Decision) -> None:
    """Mark every span of `burst_minutes` holding `burst_count` ratings of one phone or device, if it holds the new one."""
    span = timedelta(minutes=limits.burst_minutes)
    for key in ("phone", "device"):
        value = getattr(new, key)
        if not value:
            continue
        mine = sorted([r for r in earlier if getattr(r, key) == value] + [new], key=Rating.order)
        for start in mine:
            if not (start.rated_at <= new.rated_at <= start.rated_at + span):
                continue
            members = [r for r in mine if start.rated_at <= r.rated_at <= start.rated_at + span]
            if len(members) < limits.burst_count:
                continue
            for member in members:
                if member is new:
                    decision.screening = decision.screening or Screening.BURST
                elif member.counts and member.id is not None:
                    decision.marks[member.id] = Screening.BURST


# --- the database side ---------------------------------------------------------------------------------------


def device_key(raw: str) -> str:
    """The stored key of a citizen's device id (the rating page's cookie): keyed, so the cookie is not kept."""
    if not raw:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), f"rating-device:{raw}".encode(), hashlib.sha256).hexdigest()


def staff_phone_keys(centre_id: int) -> frozenset[str]:
    """The current lookup hashes of the phones of the centre's active staff (cached a minute)."""
    cache_key = f"complaints:one-rating:staff-phones:{centre_id}"
    cached = cache.get(cache_key)
    if cached is not None:
        return frozenset(cached)
    with use_primary():  # put in the shared cache: never a lagging replica's copy (govservice/replica.py)
        mobiles = active_staff_of(centre_id=centre_id).exclude(mobile="").values_list("mobile", flat=True)
        keys = frozenset(h for h in (lookup_hash(m) for m in mobiles) if h)
    cache.set(cache_key, sorted(keys), STAFF_PHONES_CACHE_SECONDS)
    return keys


def _lock(keys: list[str]) -> None:
    """Serialise ratings of one phone or device (PostgreSQL advisory locks, released at commit).

    Without it two ratings of one phone arriving together could both count. SQLite lets one writer at
    a time anyway."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            number = int.from_bytes(hashlib.sha256(f"one-rating:{key}".encode()).digest()[:8], "big", signed=True)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def _rule_applies(evaluation: Evaluation, channel: Channel) -> bool:
    return channel.kind not in STAFF_RUN_KINDS


def screen(evaluation: Evaluation, *, channel: Channel) -> Decision:
    """Decide the unsaved `evaluation`'s mark (set on it) and the marks of earlier ratings (`apply` after the insert).

    Call inside the transaction that inserts the rating."""
    if not _rule_applies(evaluation, channel):
        return Decision()
    phones = lookup_hashes(evaluation.evaluator_phone)
    device = evaluation.device_hash
    if not phones and not device:
        return Decision()
    _lock([*phones[:1], device])
    policy = OneRatingPolicy.for_centre(evaluation.centre_id)
    limits = Limits(policy.device_daily_limit, policy.burst_count, policy.burst_minutes)
    span = timedelta(minutes=limits.burst_minutes)
    local = timezone.localtime(evaluation.rated_at)
    day_start = timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)
    start = min(day_start, evaluation.rated_at - span)
    end = max(day_start + timedelta(days=1), evaluation.rated_at + span + timedelta(seconds=1))
    who = Q(evaluator_phone_hash__in=phones) if phones else Q()
    if device:
        who = who | Q(device_hash=device) if phones else Q(device_hash=device)
    rows = (
        Evaluation.objects.filter(who, centre_id=evaluation.centre_id, rated_at__gte=start, rated_at__lt=end)
        .exclude(channel__kind__in=STAFF_RUN_KINDS)
        .values_list(
            "id",
            "rated_at",
            "window_id",
            "evaluator_phone_hash",
            "device_hash",
            "case_id",
            "follow_up_of_id",
            "excluded",
        )
    )
    phone_set = set(phones)
    earlier = [
        Rating(
            id=pk,
            rated_at=rated_at,
            window_id=window_id,
            phone="phone" if phone_hash in phone_set else ("other" if phone_hash else ""),
            device=device if device and device_hash == device else ("other" if device_hash else ""),
            in_group=case_id is None and follow_up_id is None,
            excluded=excluded,
        )
        for pk, rated_at, window_id, phone_hash, device_hash, case_id, follow_up_id, excluded in rows
    ]
    new = Rating(
        id=None,
        rated_at=evaluation.rated_at,
        window_id=evaluation.window_id,
        phone="phone" if phones else "",
        device=device,
        in_group=evaluation.case_id is None and evaluation.follow_up_of_id is None,
        excluded=evaluation.excluded,
    )
    staff_phone = bool(phones) and bool(set(phones) & staff_phone_keys(evaluation.centre_id))
    decision = decide(new, earlier, staff_phone=staff_phone, limits=limits)
    if decision.screening:
        evaluation.screening = decision.screening
        evaluation.superseded_by_id = decision.superseded_by
        if not evaluation.excluded:
            evaluation.excluded = True
            evaluation.excluded_reason = str(Screening(decision.screening).label)
    return decision


def apply(evaluation: Evaluation, decision: Decision) -> None:
    """Mark the earlier ratings `decision` names, each with a history row; `evaluation` is saved."""
    for mark in (Screening.SUPERSEDED, Screening.BURST):
        ids = [pk for pk, m in decision.marks.items() if m == mark]
        if not ids:
            continue
        changed = list(Evaluation.objects.select_for_update().filter(id__in=ids, excluded=False))
        now = timezone.now()
        for row in changed:
            row.updated_at = now
            row.excluded = True
            row.screening = mark
            row.excluded_reason = str(Screening(mark).label)
            row.superseded_by = evaluation if mark == Screening.SUPERSEDED else None
        Evaluation.objects.bulk_update(
            changed, ["excluded", "screening", "excluded_reason", "superseded_by", "updated_at"]
        )
        note = _("一次一评：%(reason)s") % {"reason": Screening(mark).label}
        EvaluationEvent.objects.bulk_create(
            [EvaluationEvent(evaluation=row, action=str(mark), note=note) for row in changed]
        )


def outcome_of(evaluation: Evaluation) -> str:
    """What the citizen is told on the thanks page: "replaced", "device_limit", "superseded" or ""."""
    if evaluation.screening == Screening.DEVICE_LIMIT:
        return "device_limit"
    if evaluation.screening == Screening.SUPERSEDED:
        return "superseded"
    if not evaluation.screening and Evaluation.objects.filter(superseded_by=evaluation).exists():
        return "replaced"
    return ""


# --- the evaluation report: submitted against counted ---------------------------------------------------------


@dataclass
class CountingSummary:
    submitted: int
    counted: int
    not_counted: list[tuple[str, int]]  # (reason, how many), every reason listed


def counting_summary(*, user: Any, start: date | None = None, end: date | None = None) -> CountingSummary:
    """Ratings submitted and counted in the report's period (the user's scope), and why the others do not count."""
    queryset = evaluation_list_for(user=user).filter(follow_up_of__isnull=True)
    queryset = queryset.filter(rated_within(start, end))
    marks = {
        Screening(value).value: Count("id", filter=Q(excluded=True, screening=value)) for value in Screening.values
    }
    row = queryset.aggregate(
        n=Count("id"),
        counted=Count("id", filter=Q(excluded=False)),
        other=Count("id", filter=Q(excluded=True, screening="")),
        **marks,
    )
    reasons = [(str(Screening(value).label), row[value]) for value in Screening.values]
    reasons.append((_("核实为误评、恶意差评或本人办件自评"), row["other"]))
    return CountingSummary(submitted=row["n"], counted=row["counted"], not_counted=reasons)
