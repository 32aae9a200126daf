"""Every access rule, for every role, in its own centre and in another one.

The rules take duck-typed people and records, so most of this runs on plain
stand-ins (no database); the last tests check that a real `staff.User` read from
the database fits them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from govservice import access
from govservice.roles import Role

OWN, OTHER = 1, 2  # centre ids; every persona below belongs to OWN
DEPARTMENT, OTHER_DEPARTMENT = 7, 8


@dataclass(frozen=True)
class Person:
    id: int | None
    roles: tuple[str, ...] = ()
    is_superuser: bool = False
    is_staff: bool = False
    centre_id: int | None = OWN
    department_id: int | None = None
    is_authenticated: bool = True

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles)


@dataclass(frozen=True)
class Record:
    centre_id: int | None = OWN
    handler_id: int | None = None
    first_responder_id: int | None = None
    owner_id: int | None = None
    responsible_person_id: int | None = None
    responsible_leader_id: int | None = None
    close_out_applied_by_id: int | None = None


PEOPLE = {
    "window_staff": Person(1, (Role.WINDOW_STAFF,)),
    "helper": Person(2, (Role.HELPER,)),
    "mentor": Person(3, (Role.MENTOR,)),
    "liaison": Person(4, (Role.LIAISON,), department_id=DEPARTMENT),
    "leader": Person(5, (Role.LEADER,)),
    "city_leader": Person(6, (Role.CITY_LEADER,)),
    "centre_admin": Person(7, (Role.CENTRE_ADMIN,), is_staff=True),
    "city_admin": Person(8, (Role.CITY_ADMIN,), is_staff=True),
    "superuser": Person(9, (), is_superuser=True, is_staff=True),
}
ALL = frozenset(PEOPLE)
MANAGERS = frozenset({"leader", "city_leader", "centre_admin", "city_admin", "superuser"})


def who(rule: Callable[[access.StaffMember], bool]) -> frozenset[str]:
    """The personas for whom `rule` holds."""
    return frozenset(name for name, person in PEOPLE.items() if rule(person))


# --- rules that depend on the person only --------------------------------------------------

PERSON_RULES = {
    access.is_city_wide: {"city_leader", "city_admin", "superuser"},
    access.is_leader: {"leader", "city_leader"},
    access.is_centre_leader: {"leader"},
    access.is_administrator: {"centre_admin", "city_admin", "superuser"},
    access.has_management_role: MANAGERS,
    access.is_mentor: {"mentor"},
    access.is_window_staff: {"window_staff"},
    access.is_liaison: {"liaison"},
    access.can_use_case_desk: {"window_staff", "mentor", "leader", "city_leader", "superuser"},
    access.can_use_assistance_desk: {"helper", "leader", "city_leader", "superuser"},
    access.can_work_on_feedback: MANAGERS | {"liaison"},
    access.can_see_outbox: MANAGERS,
    access.can_import: MANAGERS,
    access.can_use_admin_site: {"centre_admin", "city_admin", "superuser"},
    access.sees_only_assisted_cases: {"helper"},
    access.can_recheck: {"leader", "city_leader"},
    access.can_edit_any_question: {"centre_admin", "city_admin", "superuser", "liaison"},
    access.can_review_any_question: {"centre_admin", "city_admin", "superuser", "liaison", "leader"},
    access.can_edit_scoring_scheme: {"centre_admin", "city_admin", "superuser"},
    access.can_edit_work_calendar: {"centre_admin", "city_admin", "superuser"},
}


@pytest.mark.parametrize("rule", PERSON_RULES, ids=lambda rule: rule.__name__)
def test_a_person_rule_holds_for_exactly_its_roles(rule):
    assert who(rule) == PERSON_RULES[rule]


@pytest.mark.parametrize("rule", PERSON_RULES, ids=lambda rule: rule.__name__)
def test_an_anonymous_visitor_passes_no_person_rule(rule):
    assert rule(AnonymousUser()) is False
    assert rule(None) is False


def test_the_admin_site_link_needs_the_staff_flag_too():
    assert not access.can_use_admin_site(Person(10, (Role.CENTRE_ADMIN,), is_staff=False))


def test_a_helper_who_also_leads_sees_every_assisted_case():
    assert not access.sees_only_assisted_cases(Person(10, (Role.HELPER, Role.LEADER)))
    assert not access.sees_only_assisted_cases(Person(11, (Role.HELPER, Role.CITY_ADMIN)))


def test_a_signed_out_user_with_stale_roles_holds_none():
    assert not access.is_leader(Person(10, (Role.LEADER,), is_authenticated=False))


# --- rules scoped to a centre ---------------------------------------------------------------

CENTRE_RULES = {
    # rule: (who passes in their own centre, who passes in another centre)
    access.sees_centre: (ALL, {"city_leader", "city_admin", "superuser"}),
    access.can_manage_centre: (MANAGERS, {"city_leader", "city_admin", "superuser"}),
    access.can_administer_centre: ({"centre_admin", "city_admin", "superuser"}, {"city_admin", "superuser"}),
    access.can_lead: ({"leader", "city_leader"}, {"city_leader"}),
    access.can_extend_correction: ({"leader", "city_leader"}, {"city_leader"}),
    access.is_leader_of: ({"leader", "city_leader"}, set()),
    access.can_lock_scores: ({"leader", "city_leader", "superuser"}, {"city_leader", "superuser"}),
}


@pytest.mark.parametrize("rule", CENTRE_RULES, ids=lambda rule: rule.__name__)
def test_a_centre_rule_holds_for_its_roles_in_the_own_and_in_another_centre(rule):
    own, other = CENTRE_RULES[rule]
    assert who(lambda person: rule(person, OWN)) == own
    assert who(lambda person: rule(person, OTHER)) == other


@pytest.mark.parametrize("rule", CENTRE_RULES, ids=lambda rule: rule.__name__)
def test_no_centre_rule_lets_an_anonymous_visitor_in(rule):
    assert rule(AnonymousUser(), OWN) is False
    assert rule(None, OWN) is False


def test_someone_without_a_centre_is_not_in_a_record_without_one():
    nowhere = Person(10, (Role.LEADER,), centre_id=None)
    assert not access.sees_centre(nowhere, None)
    assert not access.can_manage_centre(nowhere, None)
    assert not access.is_leader_of(nowhere, None)


def test_an_appeal_is_decided_by_a_leader_who_manages_the_reviews_centre():
    assert who(lambda person: access.can_decide_appeal(person, Record(centre_id=OWN))) == {"leader", "city_leader"}
    assert who(lambda person: access.can_decide_appeal(person, Record(centre_id=OTHER))) == {"city_leader"}


# --- cases ----------------------------------------------------------------------------------

HANDLER = Person(20, (Role.WINDOW_STAFF,))
FIRST_RESPONDER = Person(21, (Role.WINDOW_STAFF,))


def test_a_case_is_moved_on_by_its_handler_or_a_leader_of_its_centre():
    own_case = Record(centre_id=OWN, handler_id=HANDLER.id)
    other_case = Record(centre_id=OTHER, handler_id=HANDLER.id)
    assert who(lambda person: access.can_manage_case(person, own_case)) == {"leader", "city_leader", "superuser"}
    # City administrators see every case but are no leaders: they do not move one on.
    assert who(lambda person: access.can_manage_case(person, other_case)) == {"city_leader", "superuser"}
    assert access.can_manage_case(HANDLER, own_case)
    assert not access.can_manage_case(FIRST_RESPONDER, own_case)
    moved_away = Person(HANDLER.id, (Role.WINDOW_STAFF,), centre_id=OTHER)
    assert not access.can_manage_case(moved_away, own_case)


def test_personal_data_is_revealed_to_those_who_must_call_the_applicant_in_the_cases_centre():
    case = Record(centre_id=OWN, handler_id=HANDLER.id, first_responder_id=FIRST_RESPONDER.id)
    assert who(lambda person: access.can_reveal_personal_data(person, case)) == {"leader", "city_leader", "superuser"}
    assert access.can_reveal_personal_data(HANDLER, case)
    assert access.can_reveal_personal_data(FIRST_RESPONDER, case)
    helper = PEOPLE["helper"]
    assert not access.can_reveal_personal_data(helper, case)
    assert access.can_reveal_personal_data(helper, case, helper_id=helper.id)
    assert not access.can_reveal_personal_data(helper, case, helper_id=HANDLER.id)
    elsewhere = Record(centre_id=OTHER, handler_id=HANDLER.id)
    assert who(lambda person: access.can_reveal_personal_data(person, elsewhere)) == {"superuser"}
    assert not access.can_reveal_personal_data(HANDLER, elsewhere)


# --- complaints and escalations -------------------------------------------------------------

OWNER = Person(30, (Role.WINDOW_STAFF,))


def test_a_complaint_is_handled_by_its_owner_or_a_manager_of_its_centre():
    own = Record(centre_id=OWN, owner_id=OWNER.id)
    other = Record(centre_id=OTHER, owner_id=OWNER.id)
    assert who(lambda person: access.can_handle_complaint(person, own)) == MANAGERS
    assert who(lambda person: access.can_handle_complaint(person, other)) == {"city_leader", "city_admin", "superuser"}
    assert access.can_handle_complaint(OWNER, other)


def test_a_complaint_is_also_classified_by_any_liaison():
    own = Record(centre_id=OWN, owner_id=OWNER.id)
    other = Record(centre_id=OTHER, owner_id=OWNER.id)
    assert who(lambda person: access.can_classify_complaint(person, own)) == MANAGERS | {"liaison"}
    assert who(lambda person: access.can_classify_complaint(person, other)) == {
        "city_leader",
        "city_admin",
        "superuser",
        "liaison",
    }
    assert access.can_classify_complaint(OWNER, own)


def test_a_bad_review_is_worked_through_by_its_owner_or_a_manager_of_its_centre():
    own = Record(centre_id=OWN, owner_id=OWNER.id)
    other = Record(centre_id=OTHER, owner_id=OWNER.id)
    assert who(lambda person: access.can_handle_bad_review(person, own)) == MANAGERS
    assert who(lambda person: access.can_handle_bad_review(person, other)) == {"city_leader", "city_admin", "superuser"}
    assert access.can_handle_bad_review(OWNER, own)
    # The person answering for it keeps it in another centre's record too (it was assigned to them).
    assert access.can_handle_bad_review(OWNER, other)
    assert not access.can_handle_bad_review(PEOPLE["liaison"], own)


def test_a_record_without_an_owner_is_not_owned_by_someone_without_an_id():
    unowned = Record(centre_id=OWN, owner_id=None)
    nobody = Person(None, (Role.WINDOW_STAFF,))  # an unsaved user has no id
    assert not access.can_handle_complaint(nobody, unowned)
    assert not access.can_handle_bad_review(nobody, unowned)
    assert not access.can_handle_complaint(AnonymousUser(), unowned)
    assert not access.can_handle_bad_review(AnonymousUser(), unowned)
    assert not access.can_manage_problem(nobody, Record(responsible_person_id=None))


def test_an_escalation_is_answered_for_a_department_by_its_members_or_a_centre_manager():
    def answers(department_id: int, centre_id: int) -> frozenset[str]:
        return who(
            lambda person: access.can_answer_for_department(person, centre_id=centre_id, department_id=department_id)
        )

    assert answers(DEPARTMENT, OWN) == MANAGERS | {"liaison"}
    assert answers(OTHER_DEPARTMENT, OWN) == MANAGERS
    assert answers(OTHER_DEPARTMENT, OTHER) == {"city_leader", "city_admin", "superuser"}
    assert not access.can_answer_for_department(PEOPLE["helper"], centre_id=OWN, department_id=None)


# --- the ledger -----------------------------------------------------------------------------

RESPONSIBLE, RESPONSIBLE_LEADER = Person(40, (Role.WINDOW_STAFF,)), Person(41, (Role.LEADER,))


def test_a_problem_is_managed_by_managers_the_responsible_people_and_the_owners_of_its_measures():
    problem = Record(responsible_person_id=RESPONSIBLE.id, responsible_leader_id=RESPONSIBLE_LEADER.id)
    assert who(lambda person: access.can_manage_problem(person, problem)) == MANAGERS
    assert access.can_manage_problem(RESPONSIBLE, problem)
    assert access.can_manage_problem(RESPONSIBLE_LEADER, problem)
    owner = PEOPLE["window_staff"]
    assert access.can_manage_problem(owner, problem, owns_a_measure=lambda: True)
    assert not access.can_manage_problem(owner, problem, owns_a_measure=lambda: False)


def test_the_measure_query_is_not_run_when_the_role_already_decides():
    problem = Record(responsible_person_id=RESPONSIBLE.id)

    def must_not_run() -> bool:
        raise AssertionError("asked for the measures although the role decided")

    assert access.can_manage_problem(PEOPLE["leader"], problem, owns_a_measure=must_not_run)


def test_a_close_out_is_verified_by_a_leader_independent_of_the_problem():
    leader, city_leader = PEOPLE["leader"], PEOPLE["city_leader"]
    assert who(lambda person: access.can_close_out(person, Record())) == {"leader", "city_leader"}
    for bound in (
        Record(responsible_person_id=leader.id),
        Record(responsible_leader_id=leader.id),
        Record(close_out_applied_by_id=leader.id),
    ):
        assert not access.can_close_out(leader, bound)
        assert access.can_close_out(city_leader, bound)  # the level a close-out escalates to
    assert not access.can_close_out(city_leader, Record(responsible_leader_id=city_leader.id))
    assert access.can_close_out(
        leader, Record(responsible_person_id=RESPONSIBLE.id, responsible_leader_id=98, close_out_applied_by_id=99)
    )


def test_a_centre_leader_verifies_only_the_close_outs_of_their_own_centre():
    assert who(lambda person: access.can_close_out(person, Record(centre_id=OTHER))) == {"city_leader"}


# --- knowledge ------------------------------------------------------------------------------


def test_a_question_is_edited_by_administrators_of_its_centre_and_its_departments_liaison():
    def editors(centre_id: int, department_id: int | None) -> frozenset[str]:
        return who(lambda person: access.can_edit_question(person, centre_id=centre_id, department_id=department_id))

    admins = {"centre_admin", "city_admin", "superuser"}
    assert editors(OWN, DEPARTMENT) == admins | {"liaison"}
    assert editors(OWN, OTHER_DEPARTMENT) == admins
    assert editors(OWN, None) == admins
    assert editors(OTHER, DEPARTMENT) == {"city_admin", "superuser"}


def test_a_question_is_reviewed_by_its_editors_and_the_centres_leader_and_in_legal_review_not_by_the_liaison():
    def reviewers(centre_id: int, *, legal_review: bool) -> frozenset[str]:
        return who(
            lambda person: access.can_review_question(
                person, centre_id=centre_id, department_id=DEPARTMENT, legal_review=legal_review
            )
        )

    assert reviewers(OWN, legal_review=False) == {"centre_admin", "city_admin", "superuser", "liaison", "leader"}
    assert reviewers(OWN, legal_review=True) == {"centre_admin", "city_admin", "superuser", "leader"}
    assert reviewers(OTHER, legal_review=False) == {"city_admin", "superuser"}
    assert reviewers(OTHER, legal_review=True) == {"city_admin", "superuser"}


# --- real users from the database -----------------------------------------------------------


@pytest.mark.django_db
def test_a_staff_user_from_the_database_fits_the_rules(leader, other_leader, centre, other_centre, admin):
    assert access.can_manage_centre(leader, centre.id)
    assert not access.can_manage_centre(leader, other_centre.id)
    assert access.can_manage_centre(other_leader, other_centre.id)
    assert access.can_manage_centre(admin, other_centre.id)
    assert leader.is_leader and not leader.is_city_wide
    assert admin.is_city_wide and not admin.is_leader


@pytest.mark.django_db
def test_a_user_not_yet_saved_holds_no_role(centre):
    from staff.models import User

    assert not access.is_leader(User(centre=centre, username="new"))
    assert not access.can_manage_centre(User(centre=centre, username="new"), centre.id)


# --- stand-ins with fewer attributes --------------------------------------------------------


@dataclass(frozen=True)
class Bare:
    """An `Actor` and nothing more: no staff flag, no centre (the Protocol promises neither)."""

    roles: tuple[str, ...] = ()
    is_superuser: bool = False
    is_authenticated: bool = True

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles)


def test_an_actor_without_a_staff_flag_gets_no_admin_site_link():
    assert not access.can_use_admin_site(Bare((Role.CENTRE_ADMIN,)))
    assert access.is_administrator(Bare((Role.CENTRE_ADMIN,)))


def test_an_actor_without_a_centre_is_in_no_centre_but_a_city_wide_one_sees_them_all():
    assert not access.sees_centre(Bare((Role.LEADER,)), OWN)
    assert not access.can_manage_centre(Bare((Role.LEADER,)), OWN)
    assert not access.can_lock_scores(Bare((Role.LEADER,)), OWN)
    assert access.sees_centre(Bare((Role.CITY_ADMIN,)), OWN)


class Signed:
    """Signed in, and not a member of staff at all: no roles attribute either."""

    is_authenticated = True
    is_superuser = False


def test_a_signed_in_actor_without_roles_holds_none():
    assert not access.is_leader(Signed())
    assert not access.has_management_role(Signed())
    assert not access.sees_centre(Signed(), OWN)
