"""Recurrence after close-out (疑似反弹): a voice suggests only its best-matching closed problem, and only on
something specific (window, matter, staff, similar text); a leader confirms or dismisses it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from govservice.exceptions import Conflict, NotPermitted
from rectification import recurrence
from rectification.hooks import Voice
from rectification.models import Problem, ProblemEvent, RecurrenceSuggestion
from rectification.services import problems_flag_recurrence, recurrence_confirm, recurrence_dismiss
from staff.models import Role
from tests.conftest import login
from tests.factories.complaints import ComplaintFactory, matter_type_for
from tests.factories.rectification import ProblemFactory
from tests.factories.staff import UserFactory

S = Problem.Status
pytestmark = pytest.mark.django_db

CLOSED_AT = timezone.now() - timedelta(days=10)


def closed(centre, responsible_leader, **fields) -> Problem:
    fields.setdefault("description", "窗口人员未主动引导办事群众")
    return ProblemFactory.create(
        centre=centre, status=S.CLOSED, closed_at=CLOSED_AT, responsible_leader=responsible_leader, **fields
    )


def complaint(centre, **fields):
    fields.setdefault("received_at", timezone.now() - timedelta(days=1))
    return ComplaintFactory(centre=centre, **fields)


def suggested() -> list[tuple[str, str]]:
    return sorted(RecurrenceSuggestion.objects.values_list("problem__code", "voice_ref"))


def test_a_complaint_matching_only_the_category_flags_nothing(centre, responsible_leader):
    """The reported case: one complaint about ability flagged all six closed ability problems."""
    descriptions = [
        "一业一证改革政策掌握不全",
        "跨部门事项不会协调",
        "复杂事项办理慢",
        "系统操作不熟练",
        "材料审核标准不一",
        "新政策培训不到位",
    ]
    for n, text in enumerate(descriptions, 1):
        closed(centre, responsible_leader, code=f"NL-{n:02d}", category="ability", title=text, description=text)
    complaint(centre, category="ability", content="排队等了很久，大厅空调太冷")
    assert problems_flag_recurrence() == 0
    assert not Problem.objects.filter(recurrence_flagged_at__isnull=False).exists()


def test_a_window_match_flags_only_the_best_matching_problem(centre, responsible_leader, window):
    closed(centre, responsible_leader, code="TD-01", window=window, title="不主动引导", description="无人主动引导")
    closed(
        centre,
        responsible_leader,
        code="TD-02",
        window=window,
        title="解释政策不耐心",
        description="群众反复询问同一政策时，个别人员语气生硬、不愿多解释",
    )
    complaint(
        centre, category="attitude", window=window, tracking_no="TS-9", content="问了两遍政策，工作人员语气生硬不愿解释"
    )
    assert problems_flag_recurrence() == 1
    assert suggested() == [("TD-02", "TS-9")]
    assert problems_flag_recurrence() == 0  # a voice suggests once
    flagged = Problem.objects.get(code="TD-02")
    assert "TS-9" in flagged.recurrence_note and flagged.recurrence_flagged_at is not None
    assert flagged.events.filter(kind=ProblemEvent.Kind.RECURRENCE).count() == 1


def test_a_complaint_in_another_category_or_before_the_close_out_flags_nothing(centre, responsible_leader, window):
    closed(centre, responsible_leader, code="TD-01", window=window)
    complaint(centre, category="discipline", window=window)
    complaint(centre, category="attitude", window=window, received_at=CLOSED_AT - timedelta(days=1))
    assert problems_flag_recurrence() == 0


def test_the_matter_or_staff_of_the_complaints_behind_a_problem_match(centre, responsible_leader):
    clerk = UserFactory(centre=centre, roles=[Role.WINDOW_STAFF])
    matter = matter_type_for(centre)
    by_staff = closed(centre, responsible_leader, code="TD-01", title="甲", description="乙")
    by_matter = closed(centre, responsible_leader, code="TD-02", title="丙", description="丁")
    complaint(centre, problem=by_staff, staff=clerk, received_at=CLOSED_AT - timedelta(days=30))
    complaint(centre, problem=by_matter, matter_type=matter, received_at=CLOSED_AT - timedelta(days=30))
    complaint(centre, tracking_no="TS-STAFF", staff=clerk, content="无关的内容")
    complaint(centre, tracking_no="TS-MATTER", matter_type=matter, content="另一件事")
    assert problems_flag_recurrence() == 2
    assert suggested() == [("TD-01", "TS-STAFF"), ("TD-02", "TS-MATTER")]


def test_similar_text_alone_matches_a_problem_that_names_no_window(centre, responsible_leader):
    closed(
        centre,
        responsible_leader,
        code="JL-01",
        category="discipline",
        title="上班时间玩手机",
        description="工作时间个别人员玩手机、聊天，群众在窗口前等候",
    )
    complaint(centre, tracking_no="TS-1", content="窗口人员上班时间一直在玩手机，让群众等候")
    complaint(centre, tracking_no="TS-2", content="停车场收费太贵")
    assert problems_flag_recurrence() == 1
    assert suggested() == [("JL-01", "TS-1")]


def test_a_bad_review_at_the_problems_window_matches(centre, responsible_leader, window):
    from tests.factories.complaints import EvaluationFactory

    closed(centre, responsible_leader, code="TD-01", window=window)
    EvaluationFactory(centre=centre, window=window, level=1, rated_at=timezone.now() - timedelta(hours=2))
    assert problems_flag_recurrence() == 1
    assert RecurrenceSuggestion.objects.get().voice_kind == "bad_review"


@pytest.fixture
def suggestion(centre, responsible_leader, window) -> RecurrenceSuggestion:
    closed(centre, responsible_leader, code="TD-01", window=window)
    complaint(centre, category="attitude", window=window, tracking_no="TS-1")
    problems_flag_recurrence()
    return RecurrenceSuggestion.objects.get()


def test_a_leader_confirms_a_recurrence_and_the_problem_reopens_with_history(suggestion, leader):
    recurrence_confirm(
        problem_id=suggestion.problem_id, suggestion_id=suggestion.id, actor=leader, note="同类问题再次出现"
    )
    suggestion.refresh_from_db()
    problem = suggestion.problem
    problem.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == (RecurrenceSuggestion.Status.CONFIRMED, leader)
    assert problem.status == S.IN_RECTIFICATION and problem.recurrence_flagged_at is None
    kinds = list(problem.events.values_list("kind", flat=True))
    assert kinds == [ProblemEvent.Kind.RECURRENCE, ProblemEvent.Kind.RECURRENCE_CONFIRMED, ProblemEvent.Kind.TRANSITION]
    assert problem.events.get(kind=ProblemEvent.Kind.RECURRENCE_CONFIRMED).actor == leader
    with pytest.raises(Conflict):
        recurrence_dismiss(problem_id=problem.id, suggestion_id=suggestion.id, actor=leader)


def test_a_leader_dismisses_a_recurrence_and_it_is_not_suggested_again(suggestion, leader):
    recurrence_dismiss(problem_id=suggestion.problem_id, suggestion_id=suggestion.id, actor=leader, note="另一窗口的事")
    problem = Problem.objects.get(id=suggestion.problem_id)
    assert problem.status == S.CLOSED and problem.recurrence_flagged_at is None and problem.recurrence_note == ""
    event = problem.events.get(kind=ProblemEvent.Kind.RECURRENCE_DISMISSED)
    assert (event.actor, event.note) == (leader, "另一窗口的事")
    assert problems_flag_recurrence() == 0


def test_only_a_leader_of_the_centre_decides(suggestion, window_staff, responsible_leader):
    with pytest.raises(NotPermitted):
        recurrence_confirm(problem_id=suggestion.problem_id, suggestion_id=suggestion.id, actor=window_staff)
    suggestion.refresh_from_db()
    assert suggestion.status == RecurrenceSuggestion.Status.PENDING


def test_the_problem_page_shows_the_suggestion_and_its_decision_buttons(client, suggestion, leader):
    login(client, leader)
    page = client.get(f"/ledger/problems/{suggestion.problem_id}/").content.decode()
    assert "TS-1" in page and f'data-testid="recurrence-dismiss-{suggestion.pk}"' in page and "data-confirm" in page
    response = client.post(
        f"/ledger/problems/{suggestion.problem_id}/recurrence/{suggestion.pk}/dismiss/", {"note": ""}
    )
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == RecurrenceSuggestion.Status.DISMISSED


# --- the matching itself, over any input -----------------------------------------------------------------

texts = st.text(max_size=40)


@given(texts, texts)
def test_similarity_is_symmetric_bounded_and_one_for_the_same_text(a, b):
    value = recurrence.similarity(a, b)
    assert value == recurrence.similarity(b, a)
    assert 0.0 <= value <= 1.0
    if recurrence.bigrams(a):
        assert recurrence.similarity(a, a) == 1.0


@given(
    st.lists(
        st.tuples(st.booleans(), st.booleans(), st.sampled_from(["", "窗口人员态度生硬", "上班玩手机", "办理慢"])),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_the_best_match_does_not_depend_on_the_order_of_the_problems(specs, rng):
    at = datetime(2026, 1, 10, tzinfo=timezone.get_current_timezone())
    voice = Voice(
        kind="complaint", ref="V", at=at, category="attitude", window_id=1, staff_id=2, text="窗口人员态度生硬"
    )
    profiles = [
        recurrence.ProblemProfile(
            id=i,
            code=f"TD-{i}",
            category="attitude",
            closed_at=at - timedelta(days=i + 1),
            window_ids=frozenset({1} if same_window else set()),
            staff_ids=frozenset({2} if same_staff else set()),
            text_bigrams=recurrence.bigrams(text),
        )
        for i, (same_window, same_staff, text) in enumerate(specs)
    ]
    best = recurrence.best_matches(voice, profiles)
    shuffled = list(profiles)
    rng.shuffle(shuffled)
    assert recurrence.best_matches(voice, shuffled) == best
    assert len(best) <= recurrence.MAX_PROBLEMS
    if best:
        assert all((m := recurrence.match(voice, p)) is None or m.score <= best[0].score for p in profiles)
