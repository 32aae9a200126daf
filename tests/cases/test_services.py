from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases import services
from cases.models import ApplicantRecord, Case, CaseEvent, CaseMaterial, Commitment, Handover, ReminderCall
from cases.tasks import cases_expire_corrections, cases_warn_deadlines
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from govservice.workdays import WorkCalendar
from notifications.models import Notice, SmsMessage
from tests.factories.cases import PHONE, VALID_RIC, VALID_USCC

pytestmark = pytest.mark.django_db
S = Case.Status
SH = ZoneInfo("Asia/Shanghai")


# --- creation ---------------------------------------------------------------------------------


def test_tracking_numbers_count_per_centre_and_year(window_staff, foreign_staff, log_case, other_centre):
    from tests.factories.cases import matter_with_materials

    year = timezone.localdate().year
    first = log_case(window_staff)
    second = log_case(window_staff)
    foreign = log_case(foreign_staff, matter_type=matter_with_materials(other_centre, code="X1"))
    assert first.tracking_no == f"GS-{year}-000001"
    assert second.tracking_no == f"GS-{year}-000002"
    assert foreign.tracking_no == f"GX-{year}-000001"


def test_first_responder_is_who_logs_the_case(window_staff, log_case):
    case = log_case(window_staff)
    assert case.first_responder == window_staff == case.handler
    assert case.status == S.CONSULTATION
    assert case.events.get().new_status == S.CONSULTATION


def test_phone_and_id_are_encrypted_at_rest_with_lookup_hashes(window_staff, log_case):
    from django.db import connection

    case = log_case(window_staff)
    with connection.cursor() as cursor:
        cursor.execute("SELECT applicant_phone, applicant_id_number FROM cases_case WHERE id = %s", [case.id])
        phone_raw, id_raw = cursor.fetchone()
    assert PHONE not in phone_raw and VALID_RIC not in id_raw
    assert phone_raw.startswith("enc1:")
    assert case.applicant_phone_hash and case.applicant_id_hash
    assert Case.objects.get(id=case.id).applicant_phone == PHONE


def test_invalid_resident_id_is_refused(window_staff, log_case):
    with pytest.raises(ValidationFailed) as err:
        log_case(window_staff, applicant_id_number="110105194912310021")
    assert err.value.field == "applicant_id_number"


def test_enterprise_needs_a_valid_credit_code(window_staff, log_case):
    case = log_case(window_staff, applicant_kind="enterprise", applicant_id_number=VALID_USCC)
    assert case.applicant_id_number == VALID_USCC
    with pytest.raises(ValidationFailed):
        log_case(window_staff, applicant_kind="enterprise", applicant_id_number="91110000600037341A")


def test_matter_type_of_another_centre_cannot_be_used(foreign_staff, log_case):
    with pytest.raises(ValidationFailed):
        log_case(foreign_staff)


# --- the state machine: every allowed and forbidden move ---------------------------------------


def _case_in(status: str, *, actor, log_case) -> Case:
    """A case put into `status` with the data each guard expects; set up directly, not via services."""
    case = log_case(actor)
    Commitment.objects.create(
        case=case, deadline=date(2020, 1, 2), submit_method=Commitment.SubmitMethod.WINDOW
    )  # a deadline long past, so "terminated" is allowed where the table allows it
    Case.objects.filter(id=case.id).update(status=status)
    return Case.objects.get(id=case.id)


ALL_PAIRS = [(a, b) for a in S.values for b in S.values if a != b]


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS)
def test_every_transition_is_allowed_or_refused_by_the_table(source, target, window_staff, leader, log_case):
    case = _case_in(source, actor=window_staff, log_case=log_case)
    if target == S.AWAITING_CORRECTION:
        case.materials.filter(is_core=False).update(state=CaseMaterial.State.DEFERRED)
    kwargs = {"note": "已办结，证照已发放", "reason": "not_eligible"}
    if target in Case.TRANSITIONS[source]:
        moved = services.case_transition(case_id=case.id, to=target, actor=leader, **kwargs)
        assert moved.status == target
        event = case.events.filter(kind=CaseEvent.Kind.STATUS).last()
        assert (event.old_status, event.new_status, event.actor) == (source, target, leader)
    else:
        with pytest.raises(InvalidTransition):
            services.case_transition(case_id=case.id, to=target, actor=leader, **kwargs)
        assert Case.objects.get(id=case.id).status == source


def test_repeating_a_transition_is_a_no_op(window_staff, log_case):
    case = log_case(window_staff)
    services.case_accept(case_id=case.id, actor=window_staff)
    services.case_accept(case_id=case.id, actor=window_staff)
    assert case.events.filter(new_status=S.ACCEPTED).count() == 1


def test_unknown_target_status_is_refused(window_staff, log_case):
    case = log_case(window_staff)
    with pytest.raises(InvalidTransition):
        services.case_transition(case_id=case.id, to="nowhere", actor=window_staff)


def test_only_handler_or_leader_may_move_a_case(window_staff, other_window_staff, leader, log_case):
    case = log_case(window_staff)
    with pytest.raises(NotPermitted):
        services.case_accept(case_id=case.id, actor=other_window_staff)
    assert services.case_accept(case_id=case.id, actor=leader).status == S.ACCEPTED


def test_accepting_with_missing_materials_is_refused(window_staff, log_case):
    case = log_case(window_staff, provided="core")
    with pytest.raises(ValidationFailed) as err:
        services.case_accept(case_id=case.id, actor=window_staff)
    assert "住所使用证明" in err.value.message


def test_not_my_business_is_no_outcome(window_staff, log_case):
    case = log_case(window_staff)
    with pytest.raises(ValidationFailed):
        services.case_transition(case_id=case.id, to=S.WITHDRAWN, actor=window_staff, note="不归我管")
    with pytest.raises(ValidationFailed):
        services.case_transition(case_id=case.id, to=S.WITHDRAWN, actor=window_staff, note="")
    with pytest.raises(ValidationFailed):
        services.case_transition(case_id=case.id, to=S.REJECTED, actor=window_staff, reason="other_authority")
    assert Case.objects.get(id=case.id).status == S.CONSULTATION
    rejected = services.case_transition(
        case_id=case.id, to=S.REJECTED, actor=window_staff, reason="other_authority", referred_to="区市场监管局"
    )
    assert rejected.referred_to == "区市场监管局"


# --- acceptance with deficiencies --------------------------------------------------------------


def test_core_material_cannot_be_deferred(window_staff, log_case):
    case = log_case(window_staff, provided="all")
    core = case.materials.filter(is_core=True).first()
    with pytest.raises(ValidationFailed) as err:
        services.case_accept_with_deficiencies(case_id=case.id, actor=window_staff, deferred_material_ids=[core.id])
    assert core.name in err.value.message
    assert Case.objects.get(id=case.id).status == S.CONSULTATION
    assert not Commitment.objects.filter(case=case).exists()


def test_acceptance_with_deficiencies_signs_a_commitment_and_pauses_the_clock(deficient_case):
    case = deficient_case
    assert case.status == S.AWAITING_CORRECTION
    commitment = case.commitment
    assert commitment.deadline == WorkCalendar.load().add_working_days(timezone.localdate(), 5).date
    assert list(case.materials.filter(state=CaseMaterial.State.DEFERRED).values_list("name", flat=True)) == [
        "住所使用证明"
    ]
    clock = services.case_clock(case=case)
    assert clock.state == "paused"
    assert "住所使用证明" in clock.pause_reason


def test_applicant_with_a_broken_commitment_cannot_use_it(window_staff, centre, log_case):
    case = log_case(window_staff, provided="core")
    ApplicantRecord.objects.create(
        centre=centre, id_hash=case.applicant_id_hash, id_masked="110105********002X", kind="false"
    )
    with pytest.raises(NotPermitted):
        services.case_accept_with_deficiencies(
            case_id=case.id, actor=window_staff, deferred_material_ids=[case.materials.get(is_core=False).id]
        )


def test_correction_days_never_beyond_the_promised_time(window_staff, log_case):
    case = log_case(window_staff, provided="core")
    with pytest.raises(ValidationFailed):
        services.case_accept_with_deficiencies(
            case_id=case.id,
            actor=window_staff,
            deferred_material_ids=[case.materials.get(is_core=False).id],
            correction_days=11,
        )


def _accept_deficient(actor, log_case) -> Case:
    case = log_case(actor, provided="core")
    return services.case_accept_with_deficiencies(
        case_id=case.id, actor=actor, deferred_material_ids=[case.materials.get(is_core=False).id]
    )


def test_correction_deadline_skips_the_2025_national_day_holiday(window_staff, log_case):
    with time_machine.travel(datetime(2025, 9, 30, 10, 0, tzinfo=SH), tick=False):
        case = _accept_deficient(window_staff, log_case)
    # Oct 1–8 off; Sat Oct 11 is a make-up working day: 9, 10, 11, 13, 14.
    assert case.commitment.deadline == date(2025, 10, 14)
    assert case.commitment.deadline_provisional is False
    assert case.tracking_no.startswith("GS-2025-")


def test_deadline_into_an_unknown_year_is_marked_provisional(window_staff, log_case):
    with time_machine.travel(datetime(2026, 12, 28, 10, 0, tzinfo=SH), tick=False):
        case = _accept_deficient(window_staff, log_case)
    # 29, 30, 31 Dec; 2027 is unknown to the calendar: Fri 1 Jan counts as a weekday, then Mon 4 Jan.
    assert case.commitment.deadline == date(2027, 1, 4)
    assert case.commitment.deadline_provisional is True


# --- the clock ----------------------------------------------------------------------------------


def test_clock_pauses_while_awaiting_correction_and_resumes_when_materials_arrive(window_staff, log_case):
    with time_machine.travel(datetime(2025, 6, 2, 9, 0, tzinfo=SH), tick=False):  # Monday
        case = log_case(window_staff, provided="core")
        secondary = case.materials.get(is_core=False)
        case = services.case_accept_with_deficiencies(
            case_id=case.id, actor=window_staff, deferred_material_ids=[secondary.id]
        )
    with time_machine.travel(datetime(2025, 6, 5, 9, 0, tzinfo=SH), tick=False):  # Thursday
        clock = services.case_clock(case=case)
        assert (clock.state, clock.elapsed_days) == ("paused", 0)
        case = services.case_material_receive(case_id=case.id, case_material_id=secondary.id, actor=window_staff)
        assert case.status == S.IN_PROCESS
    with time_machine.travel(datetime(2025, 6, 9, 9, 0, tzinfo=SH), tick=False):  # next Monday
        case = Case.objects.get(id=case.id)
        clock = services.case_clock(case=case)
        assert clock.state == "running"
        assert clock.elapsed_days == 2  # Fri 6 and Mon 9; the paused days do not count
        # 10 working days from the resume day (Thu 5): Jun 19 (no holiday in between).
        assert clock.due_date == date(2025, 6, 19) == case.due_date


def test_clock_stops_when_the_case_is_completed(window_staff, log_case):
    case = log_case(window_staff)
    services.case_accept(case_id=case.id, actor=window_staff)
    services.case_transition(case_id=case.id, to=S.IN_PROCESS, actor=window_staff)
    services.case_transition(case_id=case.id, to=S.COMPLETED, actor=window_staff, note="已发证")
    assert services.case_clock(case=Case.objects.get(id=case.id)).state == "stopped"


def test_deadline_warnings_at_50_80_100_percent_are_given_once(
    window_staff, other_window_staff, log_case, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2025, 6, 2, 9, 0, tzinfo=SH), tick=False):
        case = log_case(window_staff)
        services.case_accept(case_id=case.id, actor=window_staff)
    with (
        time_machine.travel(datetime(2025, 6, 11, 9, 0, tzinfo=SH), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):  # 7 of 10 working days
        assert cases_warn_deadlines.delay().get() == 1
        assert cases_warn_deadlines.delay().get() == 0
    with (
        time_machine.travel(datetime(2025, 6, 17, 9, 0, tzinfo=SH), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):  # 11 of 10
        assert cases_warn_deadlines.delay().get() == 2
        assert cases_warn_deadlines.delay().get() == 0
    notices = Notice.objects.filter(recipient=window_staff, key__startswith=f"case:{case.id}:clock:")
    assert sorted(n.key.split(":")[3] for n in notices) == ["100", "50", "80"]


# --- reminders ------------------------------------------------------------------------------------


def test_reminder_plan_queues_sms_and_phone_calls_by_natural_key(deficient_case):
    case = deficient_case
    deadline = case.commitment.deadline
    keys = set(SmsMessage.objects.filter(key__startswith=f"case:{case.id}:").values_list("key", flat=True))
    assert keys == {f"case:{case.id}:correction:{deadline}:2", f"case:{case.id}:correction:{deadline}:0"}
    services.reminders_plan(case=case)  # planning again adds nothing
    assert SmsMessage.objects.filter(key__startswith=f"case:{case.id}:").count() == 2
    assert ReminderCall.objects.filter(case=case).count() == 2
    for message in SmsMessage.objects.filter(key__startswith=f"case:{case.id}:"):
        local = timezone.localtime(message.send_after)
        assert 8 <= local.hour < 20
        assert local.date() <= deadline


@time_machine.travel(datetime(2025, 6, 2, 22, 30, tzinfo=SH), tick=False)
def test_no_reminder_is_sent_at_night(window_staff, log_case):
    case = log_case(window_staff, provided="core")
    case = services.case_accept_with_deficiencies(
        case_id=case.id,
        actor=window_staff,
        deferred_material_ids=[case.materials.get(is_core=False).id],
        correction_days=1,
    )
    # Deadline Tue 3 June. The "2 days before" reminder is already late at 22:30: it goes at 08:00
    # next morning, not now; the deadline-day one at 09:00.
    sends = sorted(
        timezone.localtime(m.send_after) for m in SmsMessage.objects.filter(key__startswith=f"case:{case.id}:")
    )
    assert sends == [datetime(2025, 6, 3, 8, 0, tzinfo=SH), datetime(2025, 6, 3, 9, 0, tzinfo=SH)]


def test_daytime_moves_night_sends_to_the_next_morning():
    late = datetime(2025, 6, 2, 21, 0, tzinfo=SH)
    early = datetime(2025, 6, 2, 6, 0, tzinfo=SH)
    noon = datetime(2025, 6, 2, 12, 0, tzinfo=SH)
    assert services.daytime(late) == datetime(2025, 6, 3, 8, 0, tzinfo=SH)
    assert services.daytime(early) == datetime(2025, 6, 2, 8, 0, tzinfo=SH)
    assert services.daytime(noon) == noon


def test_last_material_moves_the_case_on_and_cancels_reminders(deficient_case, other_window_staff):
    case = deficient_case
    material = case.materials.get(state=CaseMaterial.State.DEFERRED)
    services.case_material_receive(case_id=case.id, case_material_id=material.id, actor=other_window_staff)
    case.refresh_from_db()
    assert case.status == S.IN_PROCESS
    assert case.handler != other_window_staff  # receiving paper does not change the owner
    statuses = set(SmsMessage.objects.filter(key__startswith=f"case:{case.id}:").values_list("status", flat=True))
    assert statuses == {SmsMessage.Status.CANCELLED}
    assert set(ReminderCall.objects.filter(case=case).values_list("outcome", flat=True)) == {"cancelled"}


def test_receiving_material_twice_is_refused_once_case_moved_on(deficient_case, window_staff):
    material = deficient_case.materials.get(state=CaseMaterial.State.DEFERRED)
    services.case_material_receive(case_id=deficient_case.id, case_material_id=material.id, actor=window_staff)
    with pytest.raises(InvalidTransition):
        services.case_material_receive(case_id=deficient_case.id, case_material_id=material.id, actor=window_staff)


# --- missed deadline and extension --------------------------------------------------------------


def test_missed_correction_terminates_once_marks_applicant_and_tells_people(
    deficient_case, leader, window_staff, django_capture_on_commit_callbacks
):
    case = deficient_case
    after = datetime.combine(case.commitment.deadline + timedelta(days=1), time(0, 10), tzinfo=SH)
    with time_machine.travel(after, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert cases_expire_corrections.delay().get() == 1
        assert cases_expire_corrections.delay().get() == 0
    case.refresh_from_db()
    assert case.status == S.TERMINATED
    assert ApplicantRecord.objects.filter(case=case, kind="broken").count() == 1
    assert Notice.objects.filter(recipient=leader, key=f"case:{case.id}:terminated").exists()
    assert Notice.objects.filter(recipient=window_staff, key=f"case:{case.id}:terminated").exists()
    reminders = SmsMessage.objects.filter(key__startswith=f"case:{case.id}:correction:")
    assert set(reminders.values_list("status", flat=True)) == {SmsMessage.Status.CANCELLED}
    # The citizen is told instead, once (tests/cases/test_citizen_loop.py).
    assert SmsMessage.objects.get(key=f"case:{case.id}:terminated").status == SmsMessage.Status.QUEUED


def test_correction_not_terminated_before_the_deadline(deficient_case):
    assert cases_expire_corrections.delay().get() == 0
    with pytest.raises(ValidationFailed):
        services.case_transition(case_id=deficient_case.id, to=S.TERMINATED, actor=None, note="x")


def test_leader_extends_the_correction_deadline_once(deficient_case, leader, window_staff):
    case = deficient_case
    old = case.commitment.deadline
    with pytest.raises(NotPermitted):
        services.case_correction_extend(case_id=case.id, actor=window_staff, days=2, reason="申请人住院")
    commitment = services.case_correction_extend(case_id=case.id, actor=leader, days=2, reason="申请人住院")
    assert commitment.original_deadline == old and commitment.deadline > old
    assert SmsMessage.objects.filter(key__startswith=f"case:{case.id}:correction:{commitment.deadline}").count() == 2
    assert SmsMessage.objects.get(key=f"case:{case.id}:correction:{old}:2").status == SmsMessage.Status.CANCELLED
    with pytest.raises(Conflict):
        services.case_correction_extend(case_id=case.id, actor=leader, days=1, reason="再次延期")


# --- hand-over ---------------------------------------------------------------------------------------


def test_handover_is_two_sided_and_first_responder_stays(
    window_staff, other_window_staff, log_case, django_capture_on_commit_callbacks
):
    case = log_case(window_staff)
    offer = services.case_handover_offer(
        case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="涉及社保业务，转专业窗口"
    )
    assert Case.objects.get(id=case.id).handler == window_staff  # still owned until accepted
    with pytest.raises(Conflict):
        services.case_handover_offer(case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="x")
    with pytest.raises(NotPermitted):
        services.case_handover_respond(handover_id=offer.id, actor=window_staff, accept=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_handover_respond(handover_id=offer.id, actor=other_window_staff, accept=True)
    case.refresh_from_db()
    assert case.handler == other_window_staff
    assert case.first_responder == window_staff
    assert Notice.objects.filter(recipient=window_staff, key__startswith=f"case:{case.id}:handover:").exists()


def test_declining_a_handover_needs_a_reason_and_keeps_the_owner(window_staff, other_window_staff, log_case):
    case = log_case(window_staff)
    offer = services.case_handover_offer(
        case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="请协助办理"
    )
    with pytest.raises(ValidationFailed):
        services.case_handover_respond(handover_id=offer.id, actor=other_window_staff, accept=False, reason="")
    services.case_handover_respond(handover_id=offer.id, actor=other_window_staff, accept=False, reason="非本人专业")
    assert Handover.objects.get(id=offer.id).state == Handover.State.DECLINED
    assert Case.objects.get(id=case.id).handler == window_staff


def test_handover_with_not_my_business_reason_or_to_another_centre_is_refused(
    window_staff, foreign_staff, other_window_staff, log_case
):
    case = log_case(window_staff)
    with pytest.raises(ValidationFailed):
        services.case_handover_offer(
            case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="不归我管"
        )
    with pytest.raises(ValidationFailed):
        services.case_handover_offer(case_id=case.id, actor=window_staff, to_user_id=foreign_staff.id, reason="转交")


# --- personal data ------------------------------------------------------------------------------------


def test_full_phone_only_for_those_who_need_it_and_each_view_is_logged(
    window_staff, other_window_staff, leader, log_case
):
    case = log_case(window_staff)
    assert services.case_pii_reveal(case=case, viewer=window_staff, field="phone") == PHONE
    assert services.case_pii_reveal(case=case, viewer=leader, field="id_number") == VALID_RIC
    with pytest.raises(NotPermitted):
        services.case_pii_reveal(case=case, viewer=other_window_staff, field="phone")
    assert case.pii_accesses.count() == 2


def test_logs_never_carry_full_phone_or_id(window_staff, log_case, caplog, deficient_case):
    caplog.set_level(logging.DEBUG)
    case = log_case(window_staff)
    services.case_pii_reveal(case=case, viewer=window_staff, field="phone")
    from govservice.masking import MaskingLogFilter

    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "personal data viewed" in text
    assert PHONE not in text and VALID_RIC not in text
    # and the configured filter masks even a careless line
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "call %s", (PHONE,), None)
    MaskingLogFilter().filter(record)
    assert record.getMessage() == "call 138****1234"


# --- assisted handling ---------------------------------------------------------------------------------


def test_assistance_for_special_groups_with_log_and_satisfaction(window_staff, helper, log_case):
    from cases.selectors import assistance_monthly_for

    plain = log_case(window_staff)
    with pytest.raises(ValidationFailed):
        services.assistance_assign(case_id=plain.id, actor=window_staff, helper_id=helper.id)
    case = log_case(window_staff, is_elderly=True)
    services.assistance_assign(case_id=case.id, actor=window_staff, helper_id=helper.id)
    with pytest.raises(NotPermitted):
        services.assistance_log_add(case_id=case.id, actor=window_staff, action="form_filling")
    services.assistance_log_add(case_id=case.id, actor=helper, action="form_filling", note="代填申请表")
    with pytest.raises(ValidationFailed):
        services.assistance_rate(case_id=case.id, actor=window_staff, satisfaction=5)
    services.case_accept(case_id=case.id, actor=window_staff)
    services.case_transition(case_id=case.id, to=S.IN_PROCESS, actor=window_staff)
    services.case_transition(case_id=case.id, to=S.COMPLETED, actor=window_staff, note="已办结")
    services.assistance_rate(case_id=case.id, actor=window_staff, satisfaction=5)
    rows = assistance_monthly_for(user=helper)
    assert len(rows) == 1
    assert (rows[0].cases, rows[0].rated, rows[0].satisfaction_rate) == (1, 1, 100.0)
    assert services.case_pii_reveal(case=case, viewer=helper, field="phone") == PHONE


def test_first_responder_is_told_once_when_a_case_stalls(window_staff, other_window_staff, log_case):
    from cases.tasks import cases_report_stalls

    with time_machine.travel(datetime(2025, 6, 2, 9, 0, tzinfo=SH), tick=False):  # Monday
        case = log_case(window_staff)
        offer = services.case_handover_offer(
            case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="社保业务"
        )
        services.case_handover_respond(handover_id=offer.id, actor=other_window_staff, accept=True)
    with time_machine.travel(datetime(2025, 6, 4, 9, 0, tzinfo=SH), tick=False):  # 2 working days: not yet
        assert cases_report_stalls.delay().get() == 0
    with time_machine.travel(datetime(2025, 6, 6, 9, 0, tzinfo=SH), tick=False):  # Friday: 4 quiet days
        assert cases_report_stalls.delay().get() == 1
        cases_report_stalls.delay().get()
    stalled = Notice.objects.filter(key__startswith=f"case:{case.id}:stalled:")
    assert {n.recipient for n in stalled} == {window_staff, other_window_staff}
    assert stalled.count() == 2  # once each, though the task ran twice


# --- personal data typed into free text ------------------------------------------------------------------

OTHER_PHONE = "13987650321"  # not the applicant's: a number someone typed into a note
ID_TYPED = "11010519491231002X"


def _every_row_as_text() -> str:
    from django.db import connection

    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            chunks += [" ".join(str(v) for v in row if v is not None) for row in cursor.fetchall()]
    return "\n".join(chunks)


def test_numbers_typed_into_any_note_or_reason_on_a_case_are_stored_masked(
    window_staff, other_window_staff, leader, helper, log_case
):
    typed = f"联系人电话 {OTHER_PHONE}，证件 {ID_TYPED}"
    case = log_case(window_staff, provided="core", is_elderly=True, note=f"登记：{typed}")
    case = services.case_accept_with_deficiencies(
        case_id=case.id, actor=window_staff, deferred_material_ids=[case.materials.get(is_core=False).id]
    )
    services.case_correction_extend(case_id=case.id, actor=leader, days=1, reason=f"延期：{typed}")
    call = ReminderCall.objects.filter(case=case, outcome=ReminderCall.Outcome.PENDING).first()
    services.reminder_call_record(call_id=call.id, actor=window_staff, outcome="reached", note=f"回拨 {typed}")
    offer = services.case_handover_offer(
        case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason=f"转交：{typed}"
    )
    services.case_handover_respond(
        handover_id=offer.id, actor=other_window_staff, accept=False, reason=f"拒收：{typed}"
    )
    services.assistance_assign(case_id=case.id, actor=window_staff, helper_id=helper.id)
    services.assistance_log_add(case_id=case.id, actor=helper, action="form_filling", note=f"代填 {typed}")
    services.case_transition(case_id=case.id, to=S.WITHDRAWN, actor=window_staff, note=f"撤回：{typed}")
    rejected = log_case(window_staff)
    services.case_transition(
        case_id=rejected.id,
        to=S.REJECTED,
        actor=window_staff,
        reason="other_authority",
        referred_to=f"区税务局 {typed}",
    )

    text = _every_row_as_text()
    for needle in (OTHER_PHONE, ID_TYPED, ID_TYPED.lower()):
        assert needle not in text
    notes = list(CaseEvent.objects.filter(case=case).values_list("note", flat=True))
    assert any("139****0321" in note and "110105********002X" in note for note in notes)  # masked, not dropped
    assert Handover.objects.get(id=offer.id).response_reason == "拒收：联系人电话 139****0321，证件 110105********002X"
