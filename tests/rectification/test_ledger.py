"""Roll-up of progress, evidence files, the due-measure task, recurrence flags and scoping."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from govservice.exceptions import NotFound, ValidationFailed
from notifications.models import Notice, SmsMessage
from rectification.models import EvidenceFile, Measure, Problem, ProblemEvent
from rectification.selectors import LedgerFilters, problem_list_for
from rectification.services import measure_add, measures_flag_due, problems_flag_recurrence, progress_update_add
from tests.conftest import login
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.rectification.conftest import PDF_BYTES

pytestmark = pytest.mark.django_db


def test_problem_progress_rolls_up_from_measures_by_weight(problem, leader):
    problem.measures.update(progress=100, weight=3)
    MeasureFactory(problem=problem, progress=20, weight=1)
    row = problem_list_for(user=leader).get(id=problem.id)
    assert row.progress_pct == pytest.approx((100 * 3 + 20 * 1) / 4)


def test_a_problem_without_measures_has_zero_progress(centre, leader):
    problem = ProblemFactory(centre=centre, responsible_leader=leader)
    assert problem_list_for(user=leader).get(id=problem.id).progress_pct == 0


def test_measure_deadline_can_be_counted_in_working_days(problem, leader):
    # 2025-09-30 + 3 working days skips the National Day holiday (Oct 1–8): Oct 9, 10, 11 (a 调休 Saturday).
    measure = measure_add(
        problem_id=problem.id, actor=leader, description="x", owner=leader, start_on=date(2025, 9, 30), working_days=3
    )
    assert measure.deadline == date(2025, 10, 11)


def test_measure_needs_a_deadline_or_working_days(problem, leader):
    with pytest.raises(ValidationFailed):
        measure_add(problem_id=problem.id, actor=leader, description="x", owner=leader)


def test_progress_update_stores_evidence_with_its_hash_and_never_overwrites(problem, responsible, pdf):
    measure = problem.measures.get()
    first = progress_update_add(
        measure_id=measure.id, actor=responsible, text="一", percentage=30, files=[pdf("a.pdf")]
    )
    second = progress_update_add(
        measure_id=measure.id, actor=responsible, text="二", percentage=60, files=[pdf("a.pdf")]
    )
    files = list(EvidenceFile.objects.order_by("id"))
    assert [f.update for f in files] == [first, second]
    assert files[0].file.name != files[1].file.name
    assert files[0].sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert files[0].file.read() == PDF_BYTES
    measure.refresh_from_db()
    assert measure.progress == 60


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("virus.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("fake.pdf", b"MZ\x90\x00", "application/pdf"),
        ("photo.png", b"%PDF-1.4", "image/png"),
        ("empty.pdf", b"", "application/pdf"),
    ],
)
def test_evidence_type_is_checked(problem, responsible, name, content, content_type):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    with pytest.raises(ValidationFailed):
        progress_update_add(
            measure_id=problem.measures.get().id, actor=responsible, text="x", percentage=10, files=[upload]
        )
    assert not EvidenceFile.objects.exists()


def test_evidence_size_is_checked(problem, responsible, settings, monkeypatch):
    from rectification.services import evidence

    monkeypatch.setattr(evidence, "EVIDENCE_MAX_BYTES", 10)
    with pytest.raises(ValidationFailed):
        progress_update_add(
            measure_id=problem.measures.get().id,
            actor=responsible,
            text="x",
            percentage=10,
            files=[SimpleUploadedFile("big.pdf", PDF_BYTES, content_type="application/pdf")],
        )


def test_someone_outside_the_problem_cannot_report_progress(problem, other_window_staff):
    from govservice.exceptions import NotPermitted

    with pytest.raises(NotPermitted):
        progress_update_add(measure_id=problem.measures.get().id, actor=other_window_staff, text="x", percentage=10)


def test_due_measures_are_flagged_once_and_people_are_told(
    problem, responsible_leader, responsible, django_capture_on_commit_callbacks
):
    responsible.mobile = "13900001234"
    responsible.sms_opt_in = True
    responsible.save()
    today = timezone.localdate()
    overdue = problem.measures.get()
    Measure.objects.filter(id=overdue.id).update(deadline=today - timedelta(days=1))
    near = MeasureFactory(problem=problem, deadline=today + timedelta(days=1))
    MeasureFactory(problem=problem, deadline=today - timedelta(days=5), completed_at=timezone.now(), progress=100)

    with django_capture_on_commit_callbacks(execute=True):
        first = measures_flag_due(today=today)
    assert first == {"overdue": 1, "near_due": 1}
    state = list(Measure.objects.order_by("id").values_list("overdue_flagged_at", "near_due_warned_at"))
    counts = (Notice.objects.count(), SmsMessage.objects.count(), ProblemEvent.objects.count())
    assert Notice.objects.filter(recipient=responsible_leader).count() == 2
    assert Notice.objects.filter(recipient=responsible).count() == 2
    assert SmsMessage.objects.count() == 2  # only the opted-in owner gets SMS

    with django_capture_on_commit_callbacks(execute=True):
        second = measures_flag_due(today=today)
    assert second == {"overdue": 0, "near_due": 0}
    assert list(Measure.objects.order_by("id").values_list("overdue_flagged_at", "near_due_warned_at")) == state
    assert (Notice.objects.count(), SmsMessage.objects.count(), ProblemEvent.objects.count()) == counts
    assert near.id


def test_the_periodic_task_runs_through_celery(problem):
    from rectification.tasks import ledger_flag_due_measures

    Measure.objects.update(deadline=timezone.localdate() - timedelta(days=2))
    assert ledger_flag_due_measures.delay().get() == {"overdue": 1, "near_due": 0}
    assert ledger_flag_due_measures.delay().get() == {"overdue": 0, "near_due": 0}


def test_a_new_complaint_in_the_same_category_after_close_out_flags_a_possible_recurrence(problem, window):
    from complaints.models import Channel, Complaint

    closed_at = timezone.now() - timedelta(days=3)
    Problem.objects.filter(id=problem.id).update(status=Problem.Status.CLOSED, closed_at=closed_at, window=window)
    channel = Channel.objects.create(code="hall", name="大厅", kind=Channel.Kind.HOTLINE)
    Complaint.objects.create(
        tracking_no="TS-1",
        centre=problem.centre,
        channel=channel,
        content="态度差",
        category=problem.category,
        window=window,
        received_at=closed_at - timedelta(days=1),
    )
    assert problems_flag_recurrence() == 0  # before the close-out: not a recurrence
    Complaint.objects.create(
        tracking_no="TS-2",
        centre=problem.centre,
        channel=channel,
        content="态度差",
        category=problem.category,
        window=window,
        received_at=timezone.now(),
    )
    assert problems_flag_recurrence() == 1
    assert problems_flag_recurrence() == 0
    problem.refresh_from_db()
    assert problem.recurrence_flagged_at is not None
    assert "TS-2" in problem.recurrence_note


def test_filters_find_overdue_problems_and_departments(problem, leader, centre):
    from tests.factories.staff import DepartmentFactory

    department = DepartmentFactory(centre=centre)
    other = ProblemFactory(centre=centre, responsible_leader=leader, responsible_department=department)
    MeasureFactory(problem=other, deadline=timezone.localdate() - timedelta(days=1))
    assert list(problem_list_for(user=leader, filters=LedgerFilters(overdue=True))) == [other]
    assert list(problem_list_for(user=leader, filters=LedgerFilters(department=department.id))) == [other]


def test_a_centre_leader_never_sees_another_centre(problem, other_leader, as_user, city_leader):
    assert not problem_list_for(user=other_leader).exists()
    assert problem_list_for(user=city_leader).count() == 1
    client = as_user(other_leader)
    assert client.get(f"/ledger/problems/{problem.id}/").status_code == 404
    assert client.get(f"/api/v1/ledger/problems/{problem.id}/").status_code == 404
    assert problem.code not in client.get("/ledger/").content.decode()
    from rectification.services import problem_transition

    with pytest.raises(NotFound):
        problem_transition(problem_id=problem.id, to="in_rectification", actor=other_leader)


def test_ledger_list_query_count_does_not_grow_with_rows(client, leader, centre, django_assert_max_num_queries):
    login(client, leader)
    for _ in range(3):
        MeasureFactory(problem=ProblemFactory(centre=centre, responsible_leader=leader))
    with django_assert_max_num_queries(12) as few:
        assert client.get("/ledger/").status_code == 200
    for _ in range(20):
        MeasureFactory(problem=ProblemFactory(centre=centre, responsible_leader=leader))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/ledger/").status_code == 200


@time_machine.travel("2025-03-03 09:00 +0800")
def test_problem_page_shows_measures_timeline_and_actions(client, problem, leader):
    login(client, leader)
    page = client.get(f"/ledger/problems/{problem.id}/").content.decode()
    assert problem.code in page
    assert "开始整改" in page


def test_editing_a_problem_on_its_page_is_recorded(client, problem, leader):
    login(client, leader)
    form = {
        "category": problem.category,
        "title": "改过的标题",
        "description": problem.description,
        "source": problem.source,
        "found_on": "2025-01-10",
        "responsible_leader": problem.responsible_leader_id,
        "responsible_person": problem.responsible_person_id,
    }
    response = client.post(f"/ledger/problems/{problem.id}/edit/", form)
    assert response.status_code == 302
    event = problem.events.get(kind=ProblemEvent.Kind.EDIT)
    assert event.changes == {"title": [problem.title, "改过的标题"]}
    assert event.actor == leader


def test_recheck_reminders_are_sent_once(problem, responsible_leader):
    from rectification.services import problems_recheck_due

    Problem.objects.filter(id=problem.id).update(
        status=Problem.Status.CLOSED, closed_at=timezone.now(), recheck_on=timezone.localdate()
    )
    assert problems_recheck_due() == 1
    assert problems_recheck_due() == 0
    assert Notice.objects.filter(recipient=responsible_leader, key__contains="recheck").count() == 1
