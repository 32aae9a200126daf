"""Absence and leaving: a leader of the centre hands a person's open work to a colleague in one go.

Before this, a case whose handler was deactivated or away stayed with them for ever. Each app's open work
reaches the people page through staff.workload (registered in each AppConfig.ready())."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from cases import services as case_services
from cases.models import Case, CaseEvent, Handover
from complaints.models import BadReview, Complaint, ComplaintEvent, EvaluationEvent
from development.models import Appraisal, MentorPairing
from govservice.exceptions import NotPermitted, ValidationFailed
from notifications.models import Notice
from rectification.models import Measure, ProblemEvent
from staff import services, workload
from staff.models import Absence, Role, StaffEvent, User
from tests.factories.cases import PHONE, VALID_RIC, matter_with_materials
from tests.factories.complaints import ComplaintFactory, EvaluationFactory
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(centre) -> User:
    """Who takes the work over: a seasoned window member, eligible to mentor."""
    person = UserFactory.create(
        centre=centre, username="colleague", name="孙丽", started_on=date(2012, 1, 1), roles=[Role.WINDOW_STAFF]
    )
    Appraisal.objects.create(staff=person, year=timezone.localdate().year - 1, grade=Appraisal.Grade.EXCELLENT)
    return person


def _case(handler: User, matter) -> Case:
    return case_services.case_create(
        actor=handler,
        matter_type_id=matter.id,
        provided_material_ids=[m.id for m in matter.materials.all()],
        applicant_kind=Case.ApplicantKind.PERSON,
        applicant_name="王小明",
        applicant_phone=PHONE,
        applicant_id_number=VALID_RIC,
    )


@pytest.fixture
def open_work(centre, window_staff, other_window_staff, leader):
    """One of each kind of open work owned by window_staff (张伟)."""
    matter = matter_with_materials(centre, code="QYKB001")
    case = _case(window_staff, matter)
    offered_case = _case(other_window_staff, matter)
    offer = case_services.case_handover_offer(
        case_id=offered_case.id, actor=other_window_staff, to_user_id=window_staff.id, reason="该事项需专业窗口办理"
    )
    complaint = ComplaintFactory(centre=centre, owner=window_staff, status=Complaint.Status.ASSIGNED)
    evaluation = EvaluationFactory(centre=centre, level=1)
    bad_review = BadReview.objects.create(
        evaluation=evaluation,
        centre=centre,
        owner=window_staff,
        contact_due=timezone.localdate() + timedelta(days=1),
        rectify_due=timezone.localdate() + timedelta(days=5),
    )
    measure = MeasureFactory(problem=ProblemFactory(centre=centre, responsible_leader=leader), owner=window_staff)
    mentee = UserFactory.create(centre=centre, username="newbie", name="新人", roles=[Role.WINDOW_STAFF])
    pairing = MentorPairing.objects.create(
        centre=centre, mentor=window_staff, mentee=mentee, slot=1, reason="new_staff", started_on=date(2026, 1, 5)
    )
    return {
        "case": case,
        "offer": offer,
        "complaint": complaint,
        "bad_review": bad_review,
        "measure": measure,
        "pairing": pairing,
    }


def _everything(person: User) -> list[tuple[str, int]]:
    return [(item.kind, item.id) for _provider, items in workload.open_work_of(person) for item in items]


def test_every_app_lists_the_persons_open_work(window_staff, open_work):
    kinds = {kind for kind, _id in _everything(window_staff)}
    assert kinds == {"case", "handover", "complaint", "bad_review", "measure", "mentee"}


def test_a_leader_hands_all_open_work_to_a_colleague_in_one_go(
    window_staff, colleague, leader, open_work, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        events = services.work_reassign(
            person=window_staff,
            to_user=colleague,
            actor=leader,
            reason="张伟休产假",
            items=_everything(window_staff),
        )
    assert len(events) == 6
    case = Case.objects.get(id=open_work["case"].id)
    assert case.handler == colleague
    assert case.first_responder == window_staff  # 首问负责人 never changes
    line = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.HANDOVER).last()
    assert line is not None and line.actor == leader and "张伟休产假" in line.note
    offer = Handover.objects.get(id=open_work["offer"].id)
    assert offer.to_user == colleague and offer.state == Handover.State.OFFERED
    complaint = Complaint.objects.get(id=open_work["complaint"].id)
    assert complaint.owner == colleague
    assert ComplaintEvent.objects.filter(complaint=complaint, actor=leader, note__contains="孙丽").exists()
    review = BadReview.objects.get(id=open_work["bad_review"].id)
    assert review.owner == colleague
    assert EvaluationEvent.objects.filter(evaluation=review.evaluation, action="reassigned", actor=leader).exists()
    measure = Measure.objects.get(id=open_work["measure"].id)
    assert measure.owner == colleague
    assert ProblemEvent.objects.filter(problem=measure.problem, actor=leader, changes__owner__isnull=False).exists()
    old = MentorPairing.objects.get(id=open_work["pairing"].id)
    assert old.ended_on == timezone.localdate()
    assert MentorPairing.objects.get(mentee=old.mentee, ended_on__isnull=True).mentor == colleague
    assert _everything(window_staff) == []
    history = StaffEvent.objects.filter(user=window_staff, kind=StaffEvent.Kind.REASSIGNED)
    assert history.count() == 6 and {e.actor_id for e in history} == {leader.id}
    assert {e.to_user_id for e in history} == {colleague.id}
    notice = Notice.objects.get(recipient=colleague, key__startswith="work-reassigned:")
    assert "6" in notice.text and "张伟休产假" in notice.text


def test_a_batch_with_one_item_that_cannot_move_moves_nothing(window_staff, other_window_staff, leader, open_work):
    # other_window_staff has no five years on the windows: the mentee cannot go to them, so nothing moves.
    with pytest.raises(ValidationFailed):
        services.work_reassign(
            person=window_staff,
            to_user=other_window_staff,
            actor=leader,
            reason="离岗",
            items=_everything(window_staff),
        )
    assert Case.objects.get(id=open_work["case"].id).handler == window_staff
    assert Complaint.objects.get(id=open_work["complaint"].id).owner == window_staff
    assert not StaffEvent.objects.exists()


def test_only_a_leader_of_the_persons_centre_may_move_their_work(
    window_staff, colleague, centre_admin, other_leader, open_work
):
    for actor in (colleague, centre_admin, other_leader):
        with pytest.raises(NotPermitted):
            services.work_reassign(
                person=window_staff, to_user=colleague, actor=actor, reason="x", items=_everything(window_staff)
            )
    assert Case.objects.get(id=open_work["case"].id).handler == window_staff


def test_work_goes_only_to_an_active_colleague_of_the_same_centre(window_staff, foreign_staff, leader, open_work):
    gone = UserFactory.create(centre=window_staff.centre, username="gone", is_active=False)
    for receiver in (foreign_staff, gone, window_staff):
        with pytest.raises(ValidationFailed):
            services.work_reassign(
                person=window_staff, to_user=receiver, actor=leader, reason="x", items=[("case", open_work["case"].id)]
            )


def test_deactivating_someone_who_owns_open_work_leads_to_the_reassignment_page(
    as_user, window_staff, colleague, leader, open_work
):
    client = as_user(leader)
    response = client.post(f"/people/{window_staff.id}/deactivate/")
    assert response.status_code == 302
    assert response["Location"] == f"/people/{window_staff.id}/work/?then=deactivate"
    window_staff.refresh_from_db()
    assert window_staff.is_active
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="deactivate-blocked"' in page and open_work["case"].tracking_no in page

    values = [f"{kind}:{item_id}" for kind, item_id in _everything(window_staff)]
    moved = client.post(response["Location"], {"to_user": colleague.id, "reason": "调离本中心", "items": values})
    assert moved.status_code == 302
    after = client.get(response["Location"]).content.decode()
    assert 'data-testid="no-open-work"' in after
    assert client.post(f"/people/{window_staff.id}/deactivate/").status_code == 302
    window_staff.refresh_from_db()
    assert not window_staff.is_active
    assert StaffEvent.objects.filter(user=window_staff, kind=StaffEvent.Kind.DEACTIVATED, actor=leader).exists()


def test_someone_without_open_work_is_deactivated_at_once(as_user, other_window_staff, leader):
    response = as_user(leader).post(f"/people/{other_window_staff.id}/deactivate/")
    assert response.status_code == 302 and response["Location"] == f"/people/{other_window_staff.id}/"
    other_window_staff.refresh_from_db()
    assert not other_window_staff.is_active


def test_window_staff_cannot_open_the_people_pages(as_user, window_staff, other_window_staff):
    client = as_user(window_staff)
    assert client.get("/people/").status_code == 403
    assert client.get(f"/people/{other_window_staff.id}/work/").status_code == 403
    assert client.post(f"/people/{other_window_staff.id}/deactivate/").status_code == 403


def test_a_leader_of_another_centre_does_not_find_the_person(as_user, window_staff, other_leader):
    assert as_user(other_leader).get(f"/people/{window_staff.id}/").status_code == 404


def test_recording_an_absence_leads_to_the_persons_open_work(as_user, window_staff, leader, open_work):
    client = as_user(leader)
    response = client.post(
        f"/people/{window_staff.id}/", {"starts_on": "2026-03-02", "ends_on": "2026-03-06", "reason": "培训"}
    )
    assert response.status_code == 302 and response["Location"] == f"/people/{window_staff.id}/work/"
    absence = Absence.objects.get(user=window_staff)
    assert (absence.starts_on, absence.ends_on, absence.created_by) == (date(2026, 3, 2), date(2026, 3, 6), leader)
    assert StaffEvent.objects.filter(user=window_staff, kind=StaffEvent.Kind.ABSENCE, actor=leader).exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "结束日期不能早于开始日期。"), ("en", "The end date cannot be before the start date.")],
)
def test_an_absence_ending_before_it_starts_is_refused_in_words_next_to_the_field(
    as_user, window_staff, leader, language, message
):
    client = as_user(leader)
    with translation.override(language):
        response = client.post(
            f"/people/{window_staff.id}/",
            {"starts_on": "2026-03-06", "ends_on": "2026-03-02"},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 200
        assert response.context["form"].errors["ends_on"] == [message]
    assert not Absence.objects.exists()


def test_the_new_owner_sees_what_they_now_answer_for(as_user, window_staff, colleague, leader, open_work):
    services.work_reassign(
        person=window_staff, to_user=colleague, actor=leader, reason="休假", items=[("case", open_work["case"].id)]
    )
    page = as_user(colleague).get("/work/mine/").content.decode()
    assert open_work["case"].tracking_no in page
