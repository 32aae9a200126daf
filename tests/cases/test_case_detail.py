"""The case detail, API and page: the API answers exactly what its documented serializer describes,
in 3 queries of its own; the page of a case never handed over does not read the hand-overs.

Query counts are deterministic (speed is measured by bench/run.py, not here).
"""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.renderers import JSONRenderer

from cases import selectors, services
from cases.api import CaseDetailOutputSerializer, case_detail_output
from cases.models import Case, CaseEvent, CaseMaterial, Handover
from tests import queries

pytestmark = pytest.mark.django_db

SESSION_AND_USER = 2  # what any logged-in request reads first (the middleware's, not the view's)


def _json(data) -> object:
    return json.loads(JSONRenderer().render(data))


_own = queries.own


def _busy(window_staff, other_window_staff, deficient_case) -> Case:
    """Deferred material received, handed over and back: history by two people, a paused and resumed clock."""
    offer = services.case_handover_offer(
        case_id=deficient_case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="窗口调整"
    )
    services.case_handover_respond(handover_id=offer.id, actor=other_window_staff, accept=True)
    material = deficient_case.materials.get(state=CaseMaterial.State.DEFERRED)
    services.case_material_receive(case_id=deficient_case.id, case_material_id=material.id, actor=window_staff)
    return Case.objects.get(id=deficient_case.id)


# --- the API -----------------------------------------------------------------------------------------------


def test_detail_output_is_exactly_what_the_documented_serializer_gives(
    leader, window_staff, other_window_staff, log_case, deficient_case
):
    consultation = log_case(window_staff, provided="core", is_elderly=True, is_disabled=True)
    accepted = log_case(window_staff, applicant_phone="", applicant_id_number="")
    services.case_accept(case_id=accepted.id, actor=window_staff)
    completed = log_case(window_staff)
    services.case_accept(case_id=completed.id, actor=window_staff)
    services.case_transition(case_id=completed.id, to=Case.Status.IN_PROCESS, actor=window_staff)
    services.case_transition(case_id=completed.id, to=Case.Status.COMPLETED, actor=window_staff, note="已办结")
    awaiting = log_case(window_staff, provided="core")
    services.case_accept_with_deficiencies(
        case_id=awaiting.id,
        actor=window_staff,
        deferred_material_ids=[awaiting.materials.get(is_core=False).id],
    )
    busy = _busy(window_staff, other_window_staff, deficient_case)

    for case in (consultation, accepted, completed, awaiting, busy):
        documented = _json(CaseDetailOutputSerializer(Case.objects.get(id=case.id)).data)
        written = _json(case_detail_output(selectors.case_detail_for(user=leader, public_id=case.public_id)))
        assert written == documented, case.status
    assert documented["correction_deadline"] and len(documented["events"]) >= 6
    assert {e["actor"] for e in documented["events"]} >= {window_staff.username, other_window_staff.username}


def test_case_detail_api_reads_the_case_its_materials_and_its_history_and_nothing_else(
    as_user, leader, window_staff, other_window_staff, deficient_case, django_assert_num_queries
):
    case = _busy(window_staff, other_window_staff, deficient_case)
    client = as_user(leader)
    url = reverse("api:case-detail", args=[case.public_id])
    client.get(url)  # the first request of a process reads and caches the work calendar
    with django_assert_num_queries(SESSION_AND_USER + 3) as captured:
        body = client.get(url).json()
    own = _own(captured)
    # The deadline is the case's own copy: no read of its commitment.
    assert own == ["SELECT cases_case", "SELECT cases_casematerial", "SELECT cases_caseevent"]
    assert body["correction_deadline"] == case.commitment.deadline.isoformat()
    assert body["clock"]["state"] == "running"


def test_detail_lists_materials_by_id_and_the_history_in_order_whatever_the_rows_order(
    leader, window_staff, other_window_staff, deficient_case
):
    case = _busy(window_staff, other_window_staff, deficient_case)
    detail = selectors.case_detail_for(user=leader, public_id=case.public_id)
    assert [m.id for m in detail.materials] == list(case.materials.order_by("id").values_list("id", flat=True))
    assert [e.id for e in detail.events] == list(
        CaseEvent.objects.filter(case=case).order_by("created_at", "id").values_list("id", flat=True)
    )
    assert detail.was_handed_over


# --- the page ----------------------------------------------------------------------------------------------


def test_page_of_a_case_never_handed_over_reads_the_case_its_materials_and_history_only(
    as_user, leader, window_staff, log_case
):
    case = log_case(window_staff)
    services.case_accept(case_id=case.id, actor=window_staff)
    client = as_user(leader)
    client.get(case.get_absolute_url())  # warm the work calendar cache
    with CaptureQueriesContext(connection) as captured:
        html = client.get(case.get_absolute_url()).content.decode()
    case_tables = ("SELECT cases_case", "SELECT cases_casematerial", "SELECT cases_caseevent")
    assert [s for s in _own(captured) if s in case_tables] == list(case_tables)
    assert case.tracking_no in html and 'data-testid="handover"' in html
    # The history's authors come with the events (name and username): no read per line.
    assert queries.statements(captured).count("SELECT staff_user") == 1  # the signed-in user only
    assert f"{window_staff.name} ·" in html


def test_page_shows_an_open_hand_over_to_its_receiver_and_the_answered_one_afterwards(
    as_user, window_staff, other_window_staff, log_case
):
    case = log_case(window_staff)
    offer = services.case_handover_offer(
        case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="社保专业窗口办理"
    )
    html = as_user(other_window_staff).get(case.get_absolute_url()).content.decode()
    assert 'data-testid="respond-handover"' in html and "社保专业窗口办理" in html
    services.case_handover_respond(handover_id=offer.id, actor=other_window_staff, accept=True)
    html = as_user(window_staff).get(case.get_absolute_url()).content.decode()
    assert "社保专业窗口办理" in html and str(Handover.State.ACCEPTED.label) in html
    assert 'data-testid="respond-handover"' not in html


def test_every_demo_hand_over_is_in_its_case_history():
    from cases import demo as cases_demo
    from staff import demo as staff_demo

    ctx = staff_demo.DemoContext(stdout=io.StringIO(), show_progress=False)
    staff_demo.load(ctx)
    cases_demo.load(ctx)
    handovers = Handover.objects.all()
    assert handovers.filter(state=Handover.State.OFFERED).exists()
    for handover in handovers:
        assert CaseEvent.objects.filter(case_id=handover.case_id, kind=CaseEvent.Kind.HANDOVER).exists(), handover
