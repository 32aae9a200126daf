"""The hand-over receiver list: grouped by department and window, people absent today marked with the
day they are back and named again under the field; an offer to them is warned about; an inactive person
is never offered anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Handover
from staff.models import Absence
from tests.factories.staff import UserFactory
from tests.factories.staff import window_staff as make_window_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def away(centre, other_window_staff, leader) -> Absence:
    today = timezone.localdate()
    return Absence.objects.create(
        user=other_window_staff,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=3),
        created_by=leader,
    )


def test_receivers_are_grouped_by_window_and_the_absent_are_marked(
    as_user, centre, window, window_staff, other_window_staff, away, log_case
):
    make_window_staff(centre=centre, window=window, username="staff3", name="周明")
    case = log_case(window_staff)
    page = as_user(window_staff).get(case.get_absolute_url()).content.decode()
    back = away.ends_on.strftime("%m-%d")
    assert f'<optgroup label="{window.department} · {window}">' in page
    assert f"李娜（缺勤至 {back}）" in page
    assert 'data-testid="handover-absent-warning"' in page
    assert "周明</option>" in page  # present colleagues carry no mark


def test_an_offer_to_an_absent_colleague_is_made_with_a_warning(
    as_user, window_staff, other_window_staff, away, log_case
):
    case = log_case(window_staff)
    client = as_user(window_staff)
    response = client.post(
        f"/cases/{case.public_id}/handover/", {"to_user": other_window_staff.id, "reason": "涉及专业审批"}, follow=True
    )
    assert Handover.objects.filter(case=case, to_user=other_window_staff, state=Handover.State.OFFERED).exists()
    shown = [str(m) for m in response.context["messages"]]
    assert any("缺勤至" in text and "返岗前" in text for text in shown)


def test_an_inactive_colleague_is_not_offered_and_cannot_be_chosen(as_user, centre, window, window_staff, log_case):
    gone = make_window_staff(centre=centre, window=window, username="gone", name="离职者")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    UserFactory.create(centre=centre, username="nobody", name="无角色")
    case = log_case(window_staff)
    client = as_user(window_staff)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "离职者" not in page
    client.post(f"/cases/{case.public_id}/handover/", {"to_user": gone.id, "reason": "涉及专业审批"})
    assert not Handover.objects.filter(case=case).exists()
