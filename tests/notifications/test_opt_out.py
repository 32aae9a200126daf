"""Issue 16: a citizen who asked for no SMS (退订) is recorded in the admin; the outbox then sends nothing to the
number, and the number is never shown in full."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import SmsMessage, SmsOptOut
from notifications.services import sms_enqueue, sms_opt_in, sms_opted_out

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


def test_an_opt_out_recorded_in_the_admin_cancels_the_queue_and_is_listed_masked(as_user, admin):
    queued = sms_enqueue(key="case:1:x", phone=PHONE, template_code="no_such_template", params={})
    client = as_user(admin)
    response = client.post(
        reverse("admin:notifications_smsoptout_add"), {"phone": "+86 139 1234 5678", "note": "电话要求退订"}
    )
    assert response.status_code == 302
    entry = SmsOptOut.objects.get()
    assert entry.phone == PHONE and sms_opted_out(PHONE)
    queued.refresh_from_db()
    assert queued.status == SmsMessage.Status.CANCELLED
    listing = client.get(reverse("admin:notifications_smsoptout_changelist"), {"q": PHONE}).content.decode()
    results = listing.split('id="result_list"')[1].split("<tbody>")[1].split("</tbody>")[0]  # rows found
    # (the links keep the search typed, as a preserved filter: the admin's own input, not a record)
    assert ">139****5678<" in results and PHONE not in results.replace(f"q%3D{PHONE}", "")
    later = sms_enqueue(key="case:1:y", phone=PHONE, template_code="no_such_template", params={})
    assert later.status == SmsMessage.Status.CANCELLED


def test_a_bad_number_is_refused_next_to_the_field(as_user, admin):
    response = as_user(admin).post(reverse("admin:notifications_smsoptout_add"), {"phone": "12345"})
    assert response.status_code == 200 and "手机号格式不正确" in response.content.decode()
    assert not SmsOptOut.objects.exists()


def test_opting_in_again_lets_messages_through():
    from notifications.services import sms_opt_out

    sms_opt_out(phone=PHONE)
    assert sms_opt_in(phone=PHONE) is True
    assert sms_enqueue(key="k", phone=PHONE, template_code="no_such_template", params={}).status == "queued"
