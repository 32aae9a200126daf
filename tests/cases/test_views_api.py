from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from cases import documents, services
from cases.catalogue import catalogue_export, catalogue_import
from cases.models import Case, CaseMaterial, MatterType, PiiAccess
from notifications.models import SmsMessage
from tests.factories.cases import PHONE, VALID_RIC, case_form_data

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


# --- logging a case on one screen --------------------------------------------------------------------


def _form(matter, **extra):
    return case_form_data(matter, decision="accept_deficient", **extra)


def test_log_a_case_with_a_deferred_material_on_one_screen(as_user, window_staff, matter):
    client = as_user(window_staff)
    page = client.get(reverse("cases:new"), {"matter_type": matter.id})
    assert "住所使用证明" in page.content.decode()
    confirmation = client.post(reverse("cases:new"), _form(matter))
    assert confirmation.status_code == 200 and not Case.objects.exists()  # the confirmation step first
    response = client.post(reverse("cases:new"), _form(matter, confirm="accept_deficient"))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.status == Case.Status.AWAITING_CORRECTION
    assert case.first_responder == window_staff


def test_deferring_a_core_material_on_the_screen_names_it_and_logs_nothing(as_user, window_staff, matter):
    client = as_user(window_staff)
    response = client.post(reverse("cases:new"), _form(matter, provided=[]))
    assert response.status_code == 200
    assert "主要材料未提交，不能容缺受理" in response.content.decode()
    assert "营业执照申请书" in response.content.decode()
    assert not Case.objects.exists()


def test_case_page_masks_personal_data_and_reveal_is_logged(as_user, window_staff, other_window_staff, deficient_case):
    client = as_user(window_staff)
    html = client.get(deficient_case.get_absolute_url()).content.decode()
    assert PHONE not in html and VALID_RIC not in html
    assert "138****1234" in html and "110105********002X" in html
    assert "计时暂停" in html and "住所使用证明" in html  # why the clock is paused
    reveal = client.post(reverse("cases:reveal", args=[deficient_case.public_id, "phone"]))
    assert PHONE in reveal.content.decode()
    assert reveal["Cache-Control"] == "no-store"
    assert PiiAccess.objects.filter(case=deficient_case, viewer=window_staff, field="phone").count() == 1
    other = as_user(other_window_staff).post(reverse("cases:reveal", args=[deficient_case.public_id, "phone"]))
    assert other.status_code == 403 and PHONE not in other.content.decode()


def test_another_centres_case_looks_like_a_missing_one(as_user, foreign_staff, deficient_case):
    client = as_user(foreign_staff)
    assert client.get(deficient_case.get_absolute_url()).status_code == 404
    assert client.get(reverse("api:case-detail", args=[deficient_case.public_id])).status_code == 404


def test_receiving_the_last_material_on_the_page_moves_the_case_on(as_user, window_staff, deficient_case):
    material = deficient_case.materials.get(state=CaseMaterial.State.DEFERRED)
    as_user(window_staff).post(reverse("cases:material-received", args=[deficient_case.public_id, material.id]))
    assert Case.objects.get(id=deficient_case.id).status == Case.Status.IN_PROCESS


def test_my_cases_lists_overdue_first_in_constant_queries(
    as_user, window_staff, log_case, deficient_case, django_assert_max_num_queries
):
    for _ in range(5):
        log_case(window_staff)
    Case.objects.filter(id=deficient_case.id).update(created_at=datetime(2020, 1, 1, tzinfo=SH))
    # The day after the correction deadline (the expiry task has not run yet).
    after = datetime.combine(deficient_case.commitment.deadline + timedelta(days=1), time(10), tzinfo=SH)
    with time_machine.travel(after, tick=False):
        client = as_user(window_staff)
        with django_assert_max_num_queries(12):
            html = client.get(reverse("cases:list")).content.decode()
    rows = html.split("<tbody>")[1]
    first_row = rows.split("</tr>")[0]
    assert deficient_case.tracking_no in first_row and "逾期" in first_row  # the overdue one comes first


def test_first_responder_view_keeps_a_handed_over_case(as_user, window_staff, other_window_staff, log_case):
    case = log_case(window_staff)
    offer = services.case_handover_offer(
        case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="社保业务"
    )
    services.case_handover_respond(handover_id=offer.id, actor=other_window_staff, accept=True)
    client = as_user(window_staff)
    assert case.tracking_no not in client.get(reverse("cases:list"), {"role": "handler"}).content.decode()
    assert case.tracking_no in client.get(reverse("cases:list"), {"role": "first"}).content.decode()
    assert client.get(case.get_absolute_url()).status_code == 200


# --- documents ---------------------------------------------------------------------------------------------


def test_printable_correction_list_and_commitment(as_user, window_staff, deficient_case):
    client = as_user(window_staff)
    html = client.get(reverse("cases:correction-list", args=[deficient_case.public_id])).content.decode()
    assert "补正材料清单" in html and "住所使用证明" in html
    assert deficient_case.commitment.deadline.isoformat() in html
    assert "cases/print.css" in html and "data-print" in html
    assert PHONE not in html
    html = client.get(reverse("cases:commitment", args=[deficient_case.public_id])).content.decode()
    assert "容缺受理承诺书" in html and "逾期未补正" in html


@pytest.mark.skipif(not documents.pdf_available(), reason="no CJK font on this machine")
def test_correction_list_pdf_renders_chinese(as_user, window_staff, deficient_case, tmp_path):
    response = as_user(window_staff).get(
        reverse("cases:correction-list", args=[deficient_case.public_id]), {"format": "pdf"}
    )
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "list.pdf"
    pdf.write_bytes(response.content)
    assert b"/FontFile" in response.content  # the CJK font is embedded
    pdftotext = shutil.which("pdftotext")
    if pdftotext:  # poppler-utils: the text layer must hold the Chinese, not boxes
        text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout  # noqa: S603
        assert "补正材料清单" in text and "住所使用证明" in text


def test_without_a_cjk_font_pdf_degrades_to_the_print_view(as_user, window_staff, deficient_case, monkeypatch):
    monkeypatch.setattr(documents, "cjk_font", lambda: None)
    url = reverse("cases:correction-list", args=[deficient_case.public_id])
    client = as_user(window_staff)
    response = client.get(url, {"format": "pdf"})
    assert response.status_code == 302 and response["Location"] == url
    assert "PDF 不可用" in client.get(url).content.decode()


# --- citizen lookup -------------------------------------------------------------------------------------------


def test_citizen_lookup_shows_progress_without_personal_data(client, deficient_case):
    response = client.post(
        reverse("cases:progress"), {"tracking_no": deficient_case.tracking_no, "phone_last4": "1234"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "待补正" in html and "住所使用证明" in html
    assert "王小明" not in html and "王*" not in html and "1234" not in html.split("progress-result")[1]
    assert VALID_RIC[:6] not in html
    wrong = client.post(reverse("cases:progress"), {"tracking_no": deficient_case.tracking_no, "phone_last4": "0000"})
    assert "未找到该办件" in wrong.content.decode()


def test_citizen_lookup_is_rate_limited(client, deficient_case):
    url = reverse("cases:progress")
    for _ in range(10):
        assert client.post(url, {"tracking_no": deficient_case.tracking_no, "phone_last4": "0000"}).status_code == 200
    blocked = client.post(url, {"tracking_no": deficient_case.tracking_no, "phone_last4": "1234"})
    assert blocked.status_code == 429
    assert "progress-result" not in blocked.content.decode()


def test_guessing_a_tracking_number_from_elsewhere_does_not_block_the_citizens_own_lookup(client, deficient_case):
    url = reverse("cases:progress")
    for n in range(12):  # one prober per address: each address stays under its own limit
        client.post(
            url, {"tracking_no": deficient_case.tracking_no, "phone_last4": "0000"}, REMOTE_ADDR=f"198.51.100.{n}"
        )
    own = client.post(
        url, {"tracking_no": deficient_case.tracking_no, "phone_last4": "1234"}, REMOTE_ADDR="203.0.113.7"
    )
    assert own.status_code == 200
    assert "progress-result" in own.content.decode()


# --- API -----------------------------------------------------------------------------------------------------------


def test_api_create_accept_deficient_receive_and_masking(as_user, window_staff, matter, caplog):
    caplog.set_level(logging.INFO)
    client = as_user(window_staff)
    core = list(matter.materials.filter(is_core=True).values_list("id", flat=True))
    created = client.post(
        reverse("api:case-list"),
        {
            "matter_type": matter.id,
            "applicant_kind": "person",
            "applicant_name": "王小明",
            "applicant_phone": PHONE,
            "applicant_id_number": VALID_RIC,
            "provided_materials": core,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["applicant_phone"] == "138****1234"
    assert body["applicant_id_number"] == "110105********002X"
    assert body["applicant_name"] == "王**"
    public_id = body["public_id"]
    detail = client.get(reverse("api:case-detail", args=[public_id])).json()
    core_id = next(m["id"] for m in detail["materials"] if m["is_core"])
    refused = client.post(
        reverse("api:case-transitions", args=[public_id]),
        {"to": "accepted_deficient", "deferred_materials": [core_id]},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid" and "主要材料不可容缺" in refused.json()["message"]
    secondary = next(m["id"] for m in detail["materials"] if not m["is_core"])
    accepted = client.post(
        reverse("api:case-transitions", args=[public_id]),
        {"to": "accepted_deficient", "deferred_materials": [secondary]},
        content_type="application/json",
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "awaiting_correction"
    assert accepted.json()["clock"]["state"] == "paused"
    forbidden = client.post(
        reverse("api:case-transitions", args=[public_id]),
        {"to": "completed", "note": "x"},
        content_type="application/json",
    )
    assert forbidden.status_code == 409 and forbidden.json()["code"] == "invalid_transition"
    received = client.post(reverse("api:case-material-received", args=[public_id, secondary]))
    assert received.status_code == 200 and received.json()["status"] == "in_process"
    listing = client.get(reverse("api:case-list")).content.decode()
    everything = listing + json.dumps(detail, ensure_ascii=False) + "\n".join(r.getMessage() for r in caplog.records)
    assert PHONE not in everything and VALID_RIC not in everything


def test_api_handover_offer_and_response(as_user, window_staff, other_window_staff, log_case):
    case = log_case(window_staff)
    offered = as_user(window_staff).post(
        reverse("api:case-handovers", args=[case.public_id]),
        {"to_user": other_window_staff.id, "reason": "社保专业窗口办理"},
        content_type="application/json",
    )
    assert offered.status_code == 201
    handover_id = offered.json()["id"]
    answered = as_user(other_window_staff).post(
        reverse("api:case-handover-response", args=[case.public_id, handover_id]),
        {"accept": True},
        content_type="application/json",
    )
    assert answered.status_code == 200 and answered.json()["state"] == "accepted"
    assert Case.objects.get(id=case.id).handler == other_window_staff


def test_api_schema_documents_case_endpoints(as_user, admin):
    schema = as_user(admin).get(reverse("api-schema"), {"format": "json"})
    paths = schema.json()["paths"] if schema["Content-Type"].startswith("application/json") else {}
    text = schema.content.decode()
    assert "/api/v1/cases/{public_id}/transitions/" in (paths or text)


# --- catalogue ---------------------------------------------------------------------------------------------------


def test_catalogue_export_import_round_trip_and_row_errors(centre, matter):
    data = catalogue_export(centre=centre)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.cell(2, 1).value == matter.code
    sheet.append(["NEW01", "公积金提取", "", 5, 10, 3, "身份证", "是"])
    sheet.append(["NEW02", "坏数据", "", "abc", 10, 3, "身份证", "也许"])
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    result = catalogue_import(centre=centre, data=buffer.getvalue())
    assert any("第 " in e and "“承诺时限(工作日)”须为整数" in e for e in result.errors)
    assert any("主要材料" in e for e in result.errors)
    assert not MatterType.objects.filter(code="NEW01").exists()  # nothing written when any row is bad
    sheet.delete_rows(sheet.max_row)
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    result = catalogue_import(centre=centre, data=buffer.getvalue())
    assert result.errors == []
    assert MatterType.objects.get(code="NEW01").materials.get().is_core is True


def test_admin_import_and_case_admin_is_read_only(as_user, admin, centre, matter, log_case, window_staff):
    client = as_user(admin)
    assert client.get(reverse("admin:cases_mattertype_changelist")).status_code == 200
    assert client.get(reverse("admin:cases_mattertype_import")).status_code == 200
    export = client.get(reverse("admin:cases_mattertype_export"))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    case = log_case(window_staff)
    page = client.get(reverse("admin:cases_case_change", args=[case.id])).content.decode()
    assert PHONE not in page and VALID_RIC not in page
    client.post(reverse("admin:cases_case_change", args=[case.id]), {"status": "completed"})
    assert Case.objects.get(id=case.id).status == Case.Status.CONSULTATION


# --- reminders through the notifications outbox ----------------------------------------------------------------------


def test_reminders_are_sent_once_even_when_dispatch_runs_twice(
    deficient_case, settings, django_capture_on_commit_callbacks
):
    from notifications.backends import locmem
    from notifications.tasks import sms_dispatch_task

    settings.SMS_BACKEND = "notifications.backends.locmem.LocmemBackend"
    locmem.outbox.clear()
    first = SmsMessage.objects.filter(key__startswith=f"case:{deficient_case.id}:").order_by("send_after").first()
    when = first.send_after + timedelta(minutes=1)
    with time_machine.travel(when, tick=False):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                sms_dispatch_task.delay()
    first.refresh_from_db()
    assert first.status in (SmsMessage.Status.SENT, SmsMessage.Status.DELIVERED)
    sent_keys = [m for m in locmem.outbox]
    assert len(sent_keys) == 1


def _first_reminder(case):
    return SmsMessage.objects.filter(key__startswith=f"case:{case.id}:").order_by("send_after").first()


def test_two_dispatchers_at_once_send_a_reminder_once(deficient_case, settings, django_capture_on_commit_callbacks):
    from notifications.backends import locmem
    from notifications.tasks import sms_dispatch_task

    settings.SMS_BACKEND = "notifications.backends.locmem.LocmemBackend"
    locmem.outbox.clear()
    message = _first_reminder(deficient_case)
    with time_machine.travel(message.send_after + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=False) as first:
            sms_dispatch_task.delay()
        with django_capture_on_commit_callbacks(execute=False) as second:
            sms_dispatch_task.delay()
        for callback in [*first, *second]:  # both dispatchers' send tasks run
            callback()
    assert len(locmem.outbox) == 1


def test_reminder_is_still_sent_after_a_worker_dies_mid_send(
    deficient_case, settings, django_capture_on_commit_callbacks
):
    from notifications.backends import locmem
    from notifications.tasks import sms_dispatch_task, sms_reap_task

    settings.SMS_BACKEND = "notifications.backends.locmem.LocmemBackend"
    locmem.outbox.clear()
    message = _first_reminder(deficient_case)
    start = message.send_after + timedelta(minutes=1)
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=False):
        sms_dispatch_task.delay()  # claimed, but the worker dies before sending
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENDING and not locmem.outbox
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        sms_reap_task.delay()
        with django_capture_on_commit_callbacks(execute=True):
            sms_dispatch_task.delay()
    message.refresh_from_db()
    assert message.status in (SmsMessage.Status.SENT, SmsMessage.Status.DELIVERED)
    assert message.retries == 1 and len(locmem.outbox) == 1


def test_case_page_in_english(as_user, window_staff, deficient_case, settings):
    client = as_user(window_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(deficient_case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Awaiting correction" in html and "Clock paused" in html and "Hand-over" in html


def test_consultation_case_is_accepted_with_deficiencies_from_its_page(as_user, window_staff, log_case):
    case = log_case(window_staff, provided="none")
    assert set(case.materials.values_list("state", flat=True)) == {"missing"}
    client = as_user(window_staff)
    core = list(case.materials.filter(is_core=True).values_list("id", flat=True))
    url = reverse("cases:accept", args=[case.public_id])
    confirmation = client.post(url, {"provided": core, "action": "accept_deficient"})
    assert 'data-testid="case-confirm"' in confirmation.content.decode()  # confirmed first, nothing changed yet
    assert Case.objects.get(id=case.id).status == Case.Status.CONSULTATION
    client.post(url, {"provided": core, "action": "accept_deficient", "confirm": "accept_deficient"})
    case.refresh_from_db()
    assert case.status == Case.Status.AWAITING_CORRECTION
    assert case.materials.get(is_core=False).state == CaseMaterial.State.DEFERRED


def test_api_list_runs_a_constant_number_of_queries(
    as_user, window_staff, log_case, deficient_case, django_assert_max_num_queries
):
    for _ in range(6):
        log_case(window_staff)
    client = as_user(window_staff)
    with django_assert_max_num_queries(6):
        body = client.get(reverse("api:case-list"), {"role": "first"}).json()
    assert body["count"] == 7
    assert [r["tracking_no"] for r in body["results"] if r["correction_deadline"]] == [deficient_case.tracking_no]
