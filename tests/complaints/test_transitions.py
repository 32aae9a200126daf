"""A walk over every allowed and forbidden status change of complaints and escalations (the tables are the rules)."""

from __future__ import annotations

import itertools

import pytest

from complaints import escalations as esc
from complaints import services
from complaints.models import Complaint, Escalation
from govservice.exceptions import InvalidTransition
from tests.factories.complaints import ComplaintFactory

pytestmark = pytest.mark.django_db

COMPLAINT_PAIRS = list(itertools.product(Complaint.Status.values, repeat=2))


@pytest.mark.parametrize(("start", "to"), COMPLAINT_PAIRS)
def test_complaint_status_changes_follow_the_table(start, to, centre, leader):
    complaint = ComplaintFactory(centre=centre, status=start)
    allowed = to in Complaint.TRANSITIONS[start]
    if allowed:
        services._complaint_move(complaint, to, actor=leader)
        assert complaint.status == to
        assert complaint.events.get().new_status == to
    else:
        with pytest.raises(InvalidTransition):
            services._complaint_move(complaint, to, actor=leader)
        assert not complaint.events.exists()


ESCALATION_PAIRS = [(a, b) for a, b in itertools.product(Escalation.Status.values, repeat=2) if a != b]


@pytest.mark.parametrize(("start", "to"), ESCALATION_PAIRS)
def test_escalation_status_changes_follow_the_table(start, to, centre, leader):
    escalation = esc.escalation_register(centre=centre, content="x", actor=leader)
    Escalation.objects.filter(id=escalation.id).update(status=start)
    escalation.refresh_from_db()
    if to in Escalation.TRANSITIONS[start]:
        esc._move(escalation, to, actor=leader)
        assert escalation.status == to
    else:
        with pytest.raises(InvalidTransition):
            esc._move(escalation, to, actor=leader)


def test_a_closed_or_merged_complaint_cannot_be_answered_again(centre, leader):
    for status in (Complaint.Status.CLOSED, Complaint.Status.MERGED):
        complaint = ComplaintFactory(centre=centre, status=status)
        with pytest.raises(InvalidTransition):
            services.complaint_reply(complaint_id=complaint.id, reply="x", actor=leader)
