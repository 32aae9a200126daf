"""The leader's inbox (待我决定): what waits on whom, and decisions that need a confirmation step."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import DutySlot, Escalation
from dashboard.inbox.items import Kind, inbox_for
from development.models import ScoreAppeal
from rectification.models import Problem, ProblemEvent
from staff.models import Role
from tests.factories.complaints import ComplaintFactory
from tests.factories.rectification import close_out_applied
from tests.factories.staff import UserFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def kinds(user) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for item in inbox_for(user=user):
        found.setdefault(item.kind, []).append(item.obj_id)
    return found


def appeal_of(person, *, indicator: str = "points") -> ScoreAppeal:
    return ScoreAppeal.objects.create(
        centre=person.centre, staff=person, month=date(2026, 1, 1), reason="漏记表扬", indicator_code=indicator
    )


def close_out_of(centre, person, **kwargs) -> Problem:
    return close_out_applied(centre, person, code=kwargs.pop("code", "TD-03"), title="推诿扯皮", **kwargs)


def escalation_in(centre, received_by, *, due: date) -> Escalation:
    return Escalation.objects.create(
        tracking_no=f"BBC{Escalation.objects.count() + 1:04d}",
        centre=centre,
        content="历史遗留的不动产登记问题",
        received_by=received_by,
        received_at=timezone.now(),
        due_date=due,
    )


def full_rota(centre, leader) -> None:
    for weekday in range(5):
        for half in ("am", "pm"):
            DutySlot.objects.create(centre=centre, weekday=weekday, half=half, leader=leader)


# --- who sees what ------------------------------------------------------------------------------


def test_every_kind_appears_for_the_leader_of_its_centre_and_no_other(
    centre, leader, other_leader, window_staff, city_leader
):
    appeal = appeal_of(window_staff)
    problem = close_out_of(centre, window_staff)
    escalation = escalation_in(centre, leader, due=timezone.localdate() + timedelta(days=1))
    overdue = ComplaintFactory(centre=centre, category="attitude", received_at=timezone.now() - timedelta(days=20))
    ComplaintFactory(centre=centre)  # not classified yet, received now: due in 5 working days

    mine = kinds(leader)
    assert mine[Kind.APPEAL] == [appeal.id]
    assert mine[Kind.CLOSE_OUT] == [problem.id]
    assert mine[Kind.ESCALATION] == [escalation.id]
    assert mine[Kind.COMPLAINT_OVERDUE] == [overdue.id]
    assert mine[Kind.UNCLASSIFIED] == [centre.id]
    assert mine[Kind.ROTA_GAP] == [centre.id]  # nobody is on the rota at all

    # Another centre's leader sees only their own centre's rota; the city leader leaves the centre to its leader.
    assert kinds(other_leader) == {Kind.ROTA_GAP: [other_leader.centre_id]}
    assert kinds(city_leader) == {}


def test_the_inbox_is_sorted_by_deadline_overdue_first(centre, leader, window_staff):
    full_rota(centre, leader)
    ComplaintFactory(centre=centre, category="attitude", received_at=timezone.now() - timedelta(days=30))
    escalation_in(centre, leader, due=timezone.localdate() + timedelta(days=20))
    appeal_of(window_staff)
    deadlines = [item.deadline for item in inbox_for(user=leader)]
    assert deadlines == sorted(deadlines)
    assert [item.kind for item in inbox_for(user=leader)][0] == Kind.COMPLAINT_OVERDUE


def test_many_overdue_complaints_read_as_one_item_that_opens_exactly_them(as_user, centre, leader, window_staff):
    full_rota(centre, leader)
    long_ago = timezone.now() - timedelta(days=30)
    overdue = [ComplaintFactory(centre=centre, category="attitude", received_at=long_ago) for _ in range(5)]
    ComplaintFactory(centre=centre, category="attitude")  # received now: not overdue

    items = inbox_for(user=leader)
    assert [item.kind for item in items] == [Kind.COMPLAINTS_OVERDUE]
    together = items[0]
    assert together.title == "5 件投诉建议已超过答复时限"
    assert together.deadline == min(c.reply_due_at for c in overdue)

    # The item's list shows exactly the complaints it counts: the same number in both places.
    page = as_user(leader).get(together.url)
    shown = {c.tracking_no for c in overdue if c.tracking_no in page.content.decode()}
    assert shown == {c.tracking_no for c in overdue}
    assert page.context["page"].paginator.count == 5


def test_a_few_overdue_complaints_stay_one_item_each(centre, leader):
    full_rota(centre, leader)
    long_ago = timezone.now() - timedelta(days=30)
    overdue = [ComplaintFactory(centre=centre, category="attitude", received_at=long_ago) for _ in range(3)]
    assert sorted(kinds(leader)[Kind.COMPLAINT_OVERDUE]) == sorted(c.id for c in overdue)


def test_a_city_leader_decides_for_a_centre_without_a_leader(centre, window_staff, city_leader):
    appeal = appeal_of(window_staff)
    mine = kinds(city_leader)
    assert mine[Kind.APPEAL] == [appeal.id]
    assert centre.id in mine[Kind.ROTA_GAP]


def test_a_close_out_waits_on_a_leader_who_is_neither_responsible_nor_applicant(centre, leader, city_leader):
    problem = close_out_of(centre, leader)  # the centre's only leader applied for it himself
    assert Kind.CLOSE_OUT not in kinds(leader)
    assert kinds(city_leader)[Kind.CLOSE_OUT] == [problem.id]
    colleague = UserFactory(centre=centre, username="leader-b", roles=[Role.LEADER])
    assert kinds(colleague)[Kind.CLOSE_OUT] == [problem.id]
    assert Kind.CLOSE_OUT not in kinds(city_leader)  # now the centre has a leader who can verify it


def test_the_city_leader_sees_the_escalations_they_received(centre, leader, city_leader):
    escalation = escalation_in(centre, city_leader, due=timezone.localdate())
    assert kinds(city_leader) == {Kind.ESCALATION: [escalation.id]}


def test_staff_without_a_leaders_role_have_no_inbox(as_user, window_staff, centre_admin):
    assert inbox_for(user=centre_admin) == []
    assert as_user(window_staff).get(reverse("dashboard:inbox")).status_code == 404
    assert as_user(centre_admin).get(reverse("dashboard:inbox")).status_code == 404


# --- deciding an appeal ---------------------------------------------------------------------------


def test_a_post_without_the_confirm_field_decides_nothing_and_asks_to_confirm(as_user, leader, window_staff):
    appeal = appeal_of(window_staff)
    url = reverse("dashboard:inbox-decide", args=[Kind.APPEAL, appeal.id])
    response = as_user(leader).post(url, {"choice": "reject", "reason": "已核实，评价真实"}, **HX)
    assert response.status_code == 200
    assert 'data-testid="confirm-what"' in response.text
    assert 'name="confirm"' in response.text
    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.PENDING and appeal.decided_by is None
    # Cancel goes back to the choice with the reason kept, and still decides nothing.
    response = as_user(leader).post(url, {"choice": "reject", "reason": "已核实，评价真实", "cancel": "1"}, **HX)
    assert "已核实，评价真实</textarea>" in response.text
    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.PENDING


def test_a_confirmed_rejection_is_recorded_with_the_leader_and_leaves_the_inbox(as_user, leader, window_staff):
    appeal = appeal_of(window_staff)
    other = appeal_of(UserFactory(centre=window_staff.centre, username="w2", roles=[Role.WINDOW_STAFF]))
    client = as_user(leader)
    page = client.get(reverse("dashboard:inbox"))
    assert f'id="inbox-{Kind.APPEAL}-{appeal.id}"' in page.text
    before = len(inbox_for(user=leader))

    url = reverse("dashboard:inbox-decide", args=[Kind.APPEAL, appeal.id])
    response = client.post(url, {"choice": "reject", "reason": "已核实，评价真实", "confirm": "1"}, **HX)

    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.REJECTED
    assert appeal.decided_by == leader and appeal.decision == "已核实，评价真实"
    assert [item.obj_id for item in inbox_for(user=leader) if item.kind == Kind.APPEAL] == [other.id]
    # The row is gone (nothing but out-of-band swaps), and the badge counts one less.
    assert 'id="nav-badge-inbox"' in response.text and 'hx-swap-oob="true"' in response.text
    assert f">{before - 1}</span>" in response.text
    assert f"inbox-{Kind.APPEAL}-{appeal.id}" not in response.text
    assert f'id="inbox-{Kind.APPEAL}-{appeal.id}"' not in client.get(reverse("dashboard:inbox")).text


def test_upholding_asks_for_the_corrected_value_and_all_errors_show_at_once(as_user, leader, window_staff):
    appeal = appeal_of(window_staff)
    url = reverse("dashboard:inbox-decide", args=[Kind.APPEAL, appeal.id])
    response = as_user(leader).post(url, {"choice": "uphold", "reason": "", "confirm": "1"}, **HX)
    assert "申诉成立时须填写更正后的指标值" in response.text
    assert "该字段是必填项" in response.text
    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.PENDING


def test_an_appeal_of_another_centre_is_not_found(as_user, other_leader, window_staff):
    appeal = appeal_of(window_staff)
    url = reverse("dashboard:inbox-decide", args=[Kind.APPEAL, appeal.id])
    response = as_user(other_leader).post(url, {"choice": "reject", "reason": "x", "confirm": "1"})
    assert response.status_code == 404
    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.PENDING


def test_without_javascript_the_same_two_posts_decide(as_user, leader, window_staff):
    appeal = appeal_of(window_staff)
    client = as_user(leader)
    url = reverse("dashboard:inbox-decide", args=[Kind.APPEAL, appeal.id])
    first = client.post(url, {"choice": "reject", "reason": "不成立"})
    assert first.status_code == 200 and "<html" in first.text and 'data-testid="confirm-what"' in first.text
    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.PENDING
    second = client.post(url, {"choice": "reject", "reason": "不成立", "confirm": "1"})
    assert second.status_code == 302 and second["Location"] == reverse("dashboard:inbox")
    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.REJECTED and appeal.decided_by == leader


# --- deciding a close-out ----------------------------------------------------------------------------


def test_a_confirmed_close_out_is_closed_with_a_history_row_naming_the_leader(as_user, centre, leader, window_staff):
    problem = close_out_of(centre, window_staff)
    client = as_user(leader)
    url = reverse("dashboard:inbox-decide", args=[Kind.CLOSE_OUT, problem.id])

    client.post(url, {"choice": "approve", "reason": "现场核查，整改到位"}, **HX)
    problem.refresh_from_db()
    assert problem.status == Problem.Status.CLOSE_OUT_APPLIED  # asked to confirm only

    client.post(url, {"choice": "approve", "reason": "现场核查，整改到位", "confirm": "1"}, **HX)
    problem.refresh_from_db()
    assert problem.status == Problem.Status.CLOSED and problem.verified_by == leader
    event = ProblemEvent.objects.filter(problem=problem, kind=ProblemEvent.Kind.TRANSITION).latest("id")
    assert event.actor == leader and event.new_status == Problem.Status.CLOSED
    assert Kind.CLOSE_OUT not in kinds(leader)


def test_sending_a_close_out_back_needs_a_reason(as_user, centre, leader, window_staff):
    problem = close_out_of(centre, window_staff)
    url = reverse("dashboard:inbox-decide", args=[Kind.CLOSE_OUT, problem.id])
    response = as_user(leader).post(url, {"choice": "send_back", "reason": " ", "confirm": "1"}, **HX)
    assert "退回须说明理由" in response.text
    problem.refresh_from_db()
    assert problem.status == Problem.Status.CLOSE_OUT_APPLIED
    as_user(leader).post(url, {"choice": "send_back", "reason": "佐证不足", "confirm": "1"}, **HX)
    problem.refresh_from_db()
    assert problem.status == Problem.Status.IN_RECTIFICATION
    event = ProblemEvent.objects.filter(problem=problem).latest("id")
    assert event.actor == leader and event.note == "佐证不足"


def test_enter_in_a_decision_form_has_no_default_button(as_user, centre, leader, window_staff):
    """Implicit submission (Enter in a field) clicks the form's first submit button: it is a disabled one."""
    problem = close_out_of(centre, window_staff)
    page = as_user(leader).get(reverse("dashboard:inbox")).text
    form = page[page.index(f'data-testid="decision-{Kind.CLOSE_OUT}-{problem.id}"') :]
    first_button = form[form.index("<button") : form.index(">", form.index("<button")) + 1]
    assert 'type="submit"' in first_button and "disabled" in first_button


# --- the badge and the home page ---------------------------------------------------------------------


def test_the_menu_badge_and_the_home_page_show_the_inbox(as_user, centre, leader, window_staff):
    full_rota(centre, leader)
    appeal_of(window_staff)
    close_out_of(centre, window_staff)
    client = as_user(leader)
    home = client.get(reverse("home")).text
    # The menu loads the badge after the page; the home page says it in words.
    assert f'hx-get="{reverse("dashboard:inbox-badge")}"' in home
    assert reverse("dashboard:inbox") in home and "待我决定：2 项" in home
    badge = client.get(reverse("dashboard:inbox-badge"), **HX).text
    assert 'id="nav-badge-inbox"' in badge and ">2</span>" in badge and "hidden" not in badge


def test_the_menu_asks_nothing_of_the_inbox_while_the_page_loads(as_user, monkeypatch, leader):
    """Counting the inbox costs queries: the menu leaves it to the badge's own request."""
    import dashboard.inbox.items

    def boom(**kwargs):
        raise AssertionError("the page counted the inbox")

    monkeypatch.setattr(dashboard.inbox.items, "inbox_for", boom)
    page = as_user(leader).get(reverse("rectification:ledger"))
    assert page.status_code == 200 and 'id="nav-badge-inbox"' in page.text


def test_items_handled_in_their_own_app_leave_the_inbox(centre, leader, window_staff):
    from complaints import services as complaint_services
    from complaints.escalations import duty_slot_set, escalation_resolve

    escalation = escalation_in(centre, leader, due=timezone.localdate())
    late = ComplaintFactory(centre=centre, category="attitude", received_at=timezone.now() - timedelta(days=20))
    unclassified = ComplaintFactory(centre=centre)
    assert set(kinds(leader)) == {Kind.ESCALATION, Kind.COMPLAINT_OVERDUE, Kind.UNCLASSIFIED, Kind.ROTA_GAP}

    escalation_resolve(escalation_id=escalation.id, solved=True, outcome="已协调办结", actor=leader)
    complaint_services.complaint_reply(complaint_id=late.id, reply="已答复", actor=leader)
    complaint_services.complaint_classify(complaint_id=unclassified.id, category="attitude", actor=leader)
    for weekday in range(5):
        for half in ("am", "pm"):
            duty_slot_set(centre=centre, weekday=weekday, half=half, leader=leader, actor=leader)
    assert kinds(leader) == {}
