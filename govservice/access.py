"""Who may do what: one function per rule, and no role list anywhere else.

Views, the API, the admin, templates and tasks all ask here. Every function takes
the acting user and plain values (ids) or duck-typed records (the Protocols
below), so this module needs no other app: a `staff.User`, a `cases.Case`, a
`rectification.Problem` fit the Protocols as they are.

Conventions: a superuser passes every rule that a role grants centre-wide or
city-wide, except the rules that stand for a leader's personal decision
(`can_lead`, `can_decide_appeal`, `can_close_out`, ...), which a role-less
operator account must not take. An anonymous user passes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .roles import ADMIN_ROLES, CITY_WIDE_ROLES, LEADER_ROLES, Role

# The four roles that manage a centre (leaders and administrators, centre or city).
MANAGEMENT_ROLES = LEADER_ROLES | ADMIN_ROLES


class Actor(Protocol):
    """A signed-in member of staff (`staff.User`), or an anonymous visitor."""

    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_superuser(self) -> bool: ...


class StaffMember(Actor, Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def centre_id(self) -> int | None: ...
    @property
    def department_id(self) -> int | None: ...
    @property
    def role_set(self) -> frozenset[str]: ...


class InCentre(Protocol):
    """Any record that belongs to one centre (a bad review, an escalation, a scoring run)."""

    @property
    def centre_id(self) -> int | None: ...


class CaseLike(InCentre, Protocol):
    @property
    def handler_id(self) -> int | None: ...
    @property
    def first_responder_id(self) -> int | None: ...


class ComplaintLike(InCentre, Protocol):
    """A record someone answers for in a centre: a complaint, a bad review."""

    @property
    def owner_id(self) -> int | None: ...


class ProblemLike(Protocol):
    """A ledger problem (rectification.Problem)."""

    @property
    def centre_id(self) -> int | None: ...
    @property
    def responsible_person_id(self) -> int | None: ...
    @property
    def responsible_leader_id(self) -> int | None: ...
    @property
    def close_out_applied_by_id(self) -> int | None: ...


def _roles(user: Actor | None) -> frozenset[str]:
    # An AnonymousUser has no roles attribute; an unsaved or anonymous user holds none.
    if user is None or not user.is_authenticated:
        return frozenset()
    return frozenset(getattr(user, "role_set", frozenset()))


def _holds(user: Actor | None, roles: frozenset[str] | set[str]) -> bool:
    return bool(_roles(user) & roles)


def _is_superuser(user: Actor | None) -> bool:
    return user is not None and user.is_authenticated and user.is_superuser


def _centre_of(user: Actor | None) -> int | None:
    return getattr(user, "centre_id", None) if user is not None and user.is_authenticated else None


def _is_one_of(user: Actor | None, *person_ids: int | None) -> bool:
    # An anonymous or unsaved user has no id, and an empty field (no owner yet) names nobody:
    # None must never match None.
    if user is None or not user.is_authenticated:
        return False
    own_id = getattr(user, "id", None)
    return own_id is not None and own_id in person_ids


# --- who someone is ------------------------------------------------------------------------


def is_city_wide(user: Actor | None) -> bool:
    """Sees every centre of the deployment (city leaders, city administrators, superusers)."""
    return _is_superuser(user) or _holds(user, CITY_WIDE_ROLES)


def is_leader(user: Actor | None) -> bool:
    """Holds a leader's role (centre or city). A superuser is not a leader."""
    return _holds(user, LEADER_ROLES)


def is_centre_leader(user: Actor | None) -> bool:
    """Holds the centre leader's role itself (not the city leader's)."""
    return _holds(user, {Role.LEADER})


def is_administrator(user: Actor | None) -> bool:
    """Administers a centre or the city (or is a superuser)."""
    return _is_superuser(user) or _holds(user, ADMIN_ROLES)


def has_management_role(user: Actor | None) -> bool:
    """A leader or an administrator somewhere (or a superuser): the management screens."""
    return _is_superuser(user) or _holds(user, MANAGEMENT_ROLES)


def can_edit_work_calendar(user: Actor | None) -> bool:
    """Enters a year of the working calendar (holidays, make-up working days), which moves stored
    deadlines of every centre: centre and city administrators (and superusers)."""
    return is_administrator(user)


def is_mentor(user: Actor | None) -> bool:
    return _holds(user, {Role.MENTOR})


def is_window_staff(user: Actor | None) -> bool:
    return _holds(user, {Role.WINDOW_STAFF})


def is_liaison(user: Actor | None) -> bool:
    """A department's liaison (业务科室联络员)."""
    return _holds(user, {Role.LIAISON})


# --- centre scope --------------------------------------------------------------------------


def sees_centre(user: Actor | None, centre_id: int | None) -> bool:
    """The centre is the user's own, or the user is city-wide. Out of scope looks like not found."""
    if user is None or not user.is_authenticated:
        return False
    return is_city_wide(user) or (centre_id is not None and _centre_of(user) == centre_id)


def can_manage_centre(user: Actor | None, centre_id: int | None) -> bool:
    """The "leader or administrator of this centre" rule: a centre leader or centre administrator
    of this centre, or anyone city-wide (city leader, city administrator, superuser)."""
    if is_city_wide(user):
        return True
    own = centre_id is not None and _centre_of(user) == centre_id
    return own and _holds(user, {Role.LEADER, Role.CENTRE_ADMIN})


def can_administer_centre(user: Actor | None, centre_id: int | None) -> bool:
    """An administrator (or superuser) whose scope includes this centre, e.g. to import its Q&A."""
    return is_administrator(user) and sees_centre(user, centre_id)


def can_lead(user: Actor | None, centre_id: int | None) -> bool:
    """A leader's decision for this centre: its own leader, or a city leader."""
    return is_leader(user) and sees_centre(user, centre_id)


def is_leader_of(user: Actor | None, centre_id: int | None) -> bool:
    """A leader whose own centre this is (who may sit on its duty roster)."""
    return is_leader(user) and centre_id is not None and _centre_of(user) == centre_id


# --- navigation ----------------------------------------------------------------------------


def can_use_case_desk(user: Actor | None) -> bool:
    """The case desk (my cases, handovers): window staff, mentors and leaders."""
    return _is_superuser(user) or _holds(user, {Role.WINDOW_STAFF, Role.MENTOR, *LEADER_ROLES})


def can_use_assistance_desk(user: Actor | None) -> bool:
    """The helpers' desk (帮办): helpers and leaders."""
    return _is_superuser(user) or _holds(user, {Role.HELPER, *LEADER_ROLES})


def can_work_on_feedback(user: Actor | None) -> bool:
    """The feedback and ledger work lists: managers and department liaisons."""
    return has_management_role(user) or is_liaison(user)


def can_see_outbox(user: Actor | None) -> bool:
    """The SMS outbox: managers only (it shows who was texted what)."""
    return has_management_role(user)


def can_import(user: Actor | None) -> bool:
    """Bulk imports of evaluations and cases: managers only."""
    return has_management_role(user)


def can_watch_queue(user: Actor | None, centre_id: int | None) -> bool:
    """The live queue view and the queue figures of a centre (the duty leader's screen): its leaders and
    administrators, or anyone city-wide."""
    return can_manage_centre(user, centre_id)


def can_use_admin_site(user: Actor | None) -> bool:
    """The link to Django's admin: staff-flagged administrators."""
    return bool(getattr(user, "is_staff", False)) and is_administrator(user)


# --- the Django admin (reference data and accounts) -----------------------------------------


def admin_sees_every_centre(user: Actor | None) -> bool:
    """In the admin, rows of every centre: the city administrator (and superusers). A centre
    administrator sees their own centre's rows only (govservice.admin_scoping)."""
    return is_city_wide(user)


def can_grant_role(user: Actor | None, role: str) -> bool:
    """Give or take a role in the admin: never one beyond the administrator's own reach. A centre
    administrator grants the roles of a centre; city-wide roles take a city administrator."""
    if _is_superuser(user) or _holds(user, {Role.CITY_ADMIN}):
        return True
    return _holds(user, {Role.CENTRE_ADMIN}) and role not in CITY_WIDE_ROLES


def can_grant_superuser(user: Actor | None) -> bool:
    """Make someone a superuser (or edit a superuser's account): a superuser only."""
    return _is_superuser(user)


def can_edit_account(user: Actor | None, *, centre_id: int | None, is_superuser: bool, roles: frozenset[str]) -> bool:
    """Edit a member of staff's account: an administrator whose scope includes their centre, never
    a superuser's account (unless one), never someone holding a role the administrator cannot grant."""
    if _is_superuser(user):
        return True
    if is_superuser or not can_administer_centre(user, centre_id):
        return False
    return all(can_grant_role(user, role) for role in roles)


def can_deactivate_account(
    user: Actor | None, *, centre_id: int | None, is_superuser: bool, roles: frozenset[str]
) -> bool:
    """Deactivate a member of staff (once their open work is handed over): a leader of their centre on the
    people pages, or an administrator who may edit their account in the admin."""
    return can_reassign_work(user, centre_id) or can_edit_account(
        user, centre_id=centre_id, is_superuser=is_superuser, roles=roles
    )


def can_manage_outbox(user: Actor | None, centre_id: int | None) -> bool:
    """Send a failed SMS again or cancel a queued one from the admin: an administrator of its centre."""
    return can_administer_centre(user, centre_id)


def can_see_platform_reconciliation(user: Actor | None) -> bool:
    """The platform outbox's reconciliation page (what went to 12345 and the provincial platform): the
    leaders and administrators of a centre, or city-wide; each sees the centres in their scope."""
    return is_city_wide(user) or _holds(user, {Role.LEADER, Role.CENTRE_ADMIN})


def can_see_platform_messages_in_admin(user: Actor | None) -> bool:
    """The platform outbox in the admin (read-only, with the retry action): staff-flagged administrators;
    a centre administrator sees their own centre's messages (govservice.admin_scoping)."""
    return can_use_admin_site(user)


def can_retry_platform_message(user: Actor | None, centre_id: int | None) -> bool:
    """Send a failed platform message again: a leader or administrator of its centre (or city-wide)."""
    return can_manage_centre(user, centre_id)


# --- cases ---------------------------------------------------------------------------------


def sees_only_assisted_cases(user: Actor | None) -> bool:
    """A helper who holds no wider role sees only the cases assigned to them."""
    return _holds(user, {Role.HELPER}) and not (is_leader(user) or is_city_wide(user))


def can_manage_case(user: StaffMember, case: CaseLike) -> bool:
    """Move a case on: its handler, or a leader of its centre (a city leader anywhere)."""
    if _is_superuser(user):
        return True
    if is_city_wide(user):
        return is_leader(user)
    if user.centre_id != case.centre_id:
        return False
    return user.id == case.handler_id or is_leader(user)


def can_extend_correction(user: Actor | None, centre_id: int | None) -> bool:
    """Extend the correction period of a case accepted with deficiencies: a leader of its centre."""
    return can_lead(user, centre_id)


def can_reveal_personal_data(user: StaffMember, case: CaseLike, *, helper_id: int | None = None) -> bool:
    """Unmasked applicant data, for those who must call or identify the applicant: the handler,
    the first responder, the assigned helper and the centre's leaders (and superusers)."""
    if _is_superuser(user):
        return True
    if user.centre_id != case.centre_id:
        return False
    if user.id in (case.handler_id, case.first_responder_id) or is_leader(user):
        return True
    return helper_id is not None and helper_id == user.id


# --- complaints and escalations ------------------------------------------------------------


def can_reveal_citizen_words(user: Actor | None, record: InCentre, *, owner_id: int | None) -> bool:
    """The full free text of a complaint, an evaluation or an escalation (numbers unmasked), for
    whoever must call the citizen back: the person answering for the record and the leaders of its
    centre (a city leader anywhere; superusers). Every view is logged by the caller."""
    if _is_superuser(user):
        return True
    if not sees_centre(user, record.centre_id):
        return False
    return _is_one_of(user, owner_id) or can_lead(user, record.centre_id)


def can_handle_complaint(user: StaffMember, complaint: ComplaintLike) -> bool:
    """Work on a complaint: its owner, or a manager of its centre."""
    return _is_one_of(user, complaint.owner_id) or can_manage_centre(user, complaint.centre_id)


def can_handle_work_order(user: StaffMember, order: ComplaintLike) -> bool:
    """Sign for, return, ask more time for and answer a 12345 work order: whoever may handle its
    complaint and, while nobody answers for it yet, the centre's feedback staff (to sign for it)."""
    if can_handle_complaint(user, order):
        return True
    return order.owner_id is None and can_work_on_feedback(user) and sees_centre(user, order.centre_id)


def can_decide_work_order_extension(user: Actor | None, order: InCentre) -> bool:
    """Approve or refuse a work order's extension request (延期审批): a leader who manages its centre."""
    return is_leader(user) and can_manage_centre(user, order.centre_id)


def can_handle_bad_review(user: StaffMember, bad_review: ComplaintLike) -> bool:
    """Work through a bad review (contact, verify, rectify, call back): the person answering for
    it, or a manager of its centre. Reassigning it and deciding its appeal are separate rules."""
    return _is_one_of(user, bad_review.owner_id) or can_manage_centre(user, bad_review.centre_id)


def can_classify_complaint(user: StaffMember, complaint: ComplaintLike) -> bool:
    """Classify a complaint: whoever may handle it, and department liaisons."""
    return can_handle_complaint(user, complaint) or is_liaison(user)


def can_set_complaint_verdict(user: StaffMember, complaint: ComplaintLike, *, staff_id: int | None) -> bool:
    """Record what verification found (属实 / 部分属实 / 不属实): a manager of the complaint's centre, never the
    member of staff the complaint is about (the verdict decides their service-star points)."""
    return can_manage_centre(user, complaint.centre_id) and not _is_one_of(user, staff_id)


def can_open_classify_queue(user: Actor | None) -> bool:
    """The queue of unclassified complaints (classified one by one or in bulk): those who work through
    a centre's feedback (managers and department liaisons); each complaint is still checked with
    `can_classify_complaint`."""
    return can_work_on_feedback(user)


def can_decide_appeal(user: Actor | None, record: InCentre) -> bool:
    """Decide a bad-review appeal (复核): a leader who manages the review's centre."""
    return is_leader(user) and can_manage_centre(user, record.centre_id)


def can_answer_for_department(user: StaffMember, *, centre_id: int | None, department_id: int | None) -> bool:
    """Answer an escalation for a department: a member of that department, or a centre manager."""
    own = department_id is not None and user.department_id == department_id
    return own or can_manage_centre(user, centre_id)


# --- the ledger (rectification) ------------------------------------------------------------


def can_manage_problem(
    user: StaffMember, problem: ProblemLike, *, owns_a_measure: Callable[[], bool] | None = None
) -> bool:
    """Edit a ledger problem and report progress: managers, the responsible person or leader, and
    the owners of its measures (`owns_a_measure` is asked last: it costs a query)."""
    if has_management_role(user):
        return True
    if _is_one_of(user, problem.responsible_person_id, problem.responsible_leader_id):
        return True
    return owns_a_measure is not None and owns_a_measure()


def can_close_out(user: StaffMember, problem: ProblemLike) -> bool:
    """Verify a close-out (销号) independently: a leader who is neither the responsible person, the
    responsible leader nor the applicant. A leader of the problem's own centre verifies; a city leader
    verifies anywhere, which is where a close-out goes when its centre has no leader left who is
    independent of it (a centre with a single leader: rectification's `close_out_verifiers`)."""
    if not is_leader(user):
        return False
    if _is_one_of(user, problem.responsible_person_id, problem.responsible_leader_id, problem.close_out_applied_by_id):
        return False
    return _holds(user, {Role.CITY_LEADER}) or is_leader_of(user, problem.centre_id)


def can_publish_commitment(user: Actor | None, problem: ProblemLike) -> bool:
    """Make a ledger problem public on the commitment board (承诺公示), or private again: a leader of its centre."""
    return can_lead(user, problem.centre_id)


def can_recheck(user: Actor | None) -> bool:
    """Re-open a closed problem or confirm its look-back (回头看): a leader."""
    return is_leader(user)


# --- knowledge -----------------------------------------------------------------------------


def can_edit_question(user: StaffMember, *, centre_id: int, department_id: int | None) -> bool:
    """Edit a policy Q&A: an administrator of its centre, or the liaison of its department."""
    if not sees_centre(user, centre_id):
        return False
    if is_administrator(user):
        return True
    return is_liaison(user) and department_id is not None and user.department_id == department_id


def can_review_question(user: StaffMember, *, centre_id: int, department_id: int | None, legal_review: bool) -> bool:
    """Review a Q&A: the legal review step takes an administrator or a leader; the other steps
    also whoever may edit it."""
    if not sees_centre(user, centre_id):
        return False
    if _holds(user, {Role.LEADER}):
        return True
    if legal_review:
        return is_administrator(user)
    return can_edit_question(user, centre_id=centre_id, department_id=department_id)


def can_edit_any_question(user: Actor | None) -> bool:
    """Sees the Q&A editing screens at all."""
    return is_administrator(user) or is_liaison(user)


def can_review_any_question(user: Actor | None) -> bool:
    """Sees the Q&A review queue at all."""
    return can_edit_any_question(user) or _holds(user, {Role.LEADER})


# --- staff development and scoring ---------------------------------------------------------


def can_edit_scoring_scheme(user: Actor | None) -> bool:
    """New versions of the scoring scheme: administrators."""
    return is_administrator(user)


def can_lock_scores(user: Actor | None, centre_id: int | None) -> bool:
    """Lock a month's scores, decide score appeals and follow-ups: a leader of the centre (centre
    leader of their own, city leader anywhere), or a superuser standing in."""
    if _is_superuser(user) or _holds(user, {Role.CITY_LEADER}):
        return True
    return centre_id is not None and _centre_of(user) == centre_id and _holds(user, {Role.LEADER})


# --- absence, leaving and the duty rota ----------------------------------------------------


def can_reassign_work(user: Actor | None, centre_id: int | None) -> bool:
    """Mark someone of the centre absent, deactivate them, hand their open work to others: a leader of the
    centre (its own centre leader, or a city leader)."""
    return can_lead(user, centre_id)


# --- feedback channels (the machine side: a channel key, not a person) -------------------------------------


class ChannelLike(Protocol):
    """A feedback channel (complaints.Channel)."""

    @property
    def kind(self) -> str: ...


# The rating device on the counter where a case was handled (complaints.Channel.Kind.WINDOW_DEVICE).
CASE_SERVING_CHANNEL_KINDS = frozenset({"window_device"})


def can_rate_case_without_invitation(channel: ChannelLike) -> bool:
    """Rate a case by its tracking number without the case's invitation code: only the channel that served
    it, the rating device on the counter (resolved within the channel's own centres). Any other channel needs
    the invitation token of the citizen's SMS link, or any key could take the one rating of any case."""
    return channel.kind in CASE_SERVING_CHANNEL_KINDS
