"""The self-triggered rating (本人办件自评): the one definition other modules and apps use.

A rating is self-triggered when the staff member it rates had a hand in giving it. The
好差评 scheme has the citizen alone operate the rating device, and a rating given by or for
oneself never counts, neither against nor for anyone. It is self-triggered when

1. a staff member involved in the rated service (the rated person, or the case's handler
   or first responder) submitted it while signed in (代评);
2. it came from the rated staff member's own phone (the evaluator's phone is theirs); or
3. the case rated is the rated staff member's own application (the applicant's phone is theirs).

At submission all three are checked and the rating is stored as excluded, so it opens no
bad review and no figure counts it. Clause 1 can only be known at submission; clauses 2
and 3 are checked again when ratings are counted for a person (`self_triggered_evaluation_ids`),
because a staff member's phone may be recorded after the rating came in, and ratings loaded
by imports or fixtures never passed through submission.
"""

from __future__ import annotations

from datetime import datetime

from cases.models import Case
from cases.selectors import case_ids_by_applicant_phone_hashes
from govservice.crypto import lookup_hash, lookup_hashes
from staff.models import User

from .models import Evaluation


def is_self_triggered(*, actor: User | None, staff: User | None, case: Case | None, phone: str) -> bool:
    """Whether a rating about to be recorded is self-triggered (clauses 1 to 3 above)."""
    involved = {staff.id} if staff is not None else set()
    if case is not None:
        involved |= {case.handler_id, case.first_responder_id}
    if actor is not None and getattr(actor, "is_authenticated", False) and actor.id in involved:
        return True
    if staff is None or not staff.mobile:
        return False
    # Every hash of the staff member's phone (current and old lookup keys): a case hashed before a key
    # change is still theirs. The evaluator's phone is compared as a number, in whatever spelling.
    own = set(lookup_hashes(staff.mobile))
    if phone and lookup_hash(phone) in own:
        return True
    return case is not None and bool(case.applicant_phone_hash) and case.applicant_phone_hash in own


def self_triggered_evaluation_ids(*, staff: list[User], start: datetime, end: datetime) -> set[int]:
    """The ratings of these people rated in [start, end) that clauses 2 and 3 make self-triggered.

    Staff phones are encrypted, so their keyed hashes are built here (one per person and lookup key) and
    only the few matching evaluations are read.
    """
    own_hashes = {user.id: set(lookup_hashes(user.mobile)) for user in staff if user.mobile}
    hashes = set().union(*own_hashes.values())
    if not hashes:
        return set()
    in_period = Evaluation.objects.filter(rated_at__gte=start, rated_at__lt=end)
    fields = ("id", "staff_id", "evaluator_phone_hash", "case__applicant_phone_hash")
    # Start from the hashed-phone indexes, never from the staff list: filtering a million rows by
    # 1,000 staff ids first takes seconds, the hash look-ups take milliseconds.
    own_cases = case_ids_by_applicant_phone_hashes(phone_hashes=hashes)
    rows = [
        *in_period.filter(evaluator_phone_hash__in=hashes).values_list(*fields),
        *in_period.filter(case__in=own_cases).values_list(*fields),
    ]
    return {
        pk for pk, staff_id, ev_hash, case_hash in rows if own_hashes.get(staff_id, set()) & {ev_hash, case_hash} - {""}
    }
