"""Numbers a citizen types into free text: masked on every screen, API and in the raw column;
the full text only through the logged reveal, for those who must call back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints import escalations as esc
from complaints import services
from complaints.models import Channel, Complaint, Escalation, Evaluation, TextAccess
from govservice.exceptions import NotPermitted
from tests.factories.complaints import channel_for

pytestmark = pytest.mark.django_db

PHONE, ID_NUMBER = "13912345678", "110101199003077774"
TEXT = f"请回电{PHONE} 身份证{ID_NUMBER}"
MASKED = "请回电139****5678 身份证110101********7774"


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - names are ours
        return cursor.fetchone()[0]


def _complaint(centre, **kwargs) -> Complaint:
    return services.complaint_submit(
        centre=centre, channel=channel_for(centre, Channel.Kind.HOTLINE), content=TEXT, contact_phone=PHONE, **kwargs
    )


def _bad_evaluation(centre) -> Evaluation:
    return services.evaluation_submit(centre=centre, channel=channel_for(centre), level=1, text=TEXT)


def _escalation(centre, leader) -> Escalation:
    return esc.escalation_register(centre=centre, actor=leader, content=TEXT)


def _assert_masked(body: str) -> None:
    assert PHONE not in body
    assert ID_NUMBER not in body
    assert "139****5678" in body


def test_a_number_in_a_complaint_is_masked_in_the_staff_list_detail_and_api(as_user, centre, leader):
    complaint = _complaint(centre)
    client = as_user(leader)
    for url in (
        reverse("complaints:complaint-list"),
        complaint.get_absolute_url(),
        reverse("api:complaints-complaint-list"),
        reverse("api:complaints-complaint-detail", args=[complaint.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_masked(response.content.decode())


def test_a_number_in_a_bad_review_is_masked_on_its_page_and_in_the_api(as_user, centre, leader):
    evaluation = _bad_evaluation(centre)
    client = as_user(leader)
    for url in (
        reverse("complaints:bad-review-detail", args=[evaluation.bad_review.pk]),
        reverse("complaints:evaluation-list"),
        reverse("api:complaints-evaluation-list"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_masked(response.content.decode())


def test_a_number_in_an_escalation_is_masked_on_its_page_and_report(as_user, centre, leader):
    escalation = _escalation(centre, leader)
    esc.escalation_write_report(escalation_id=escalation.id, report=TEXT, actor=leader)
    client = as_user(leader)
    for name in ("complaints:escalation-detail", "complaints:escalation-report"):
        response = client.get(reverse(name, args=[escalation.public_id]))
        assert response.status_code == 200
        _assert_masked(response.content.decode())


def test_the_raw_columns_hold_the_scrubbed_copy_and_an_encrypted_original(centre, leader):
    complaint = _complaint(centre, contact_name=f"张三{PHONE}")
    services.complaint_reply(complaint_id=complaint.id, reply=f"已致电{PHONE}", actor=leader)
    evaluation = _bad_evaluation(centre)
    escalation = _escalation(centre, leader)
    assert _raw("complaints_complaint", "content", complaint.id) == MASKED
    assert _raw("complaints_complaint", "reply", complaint.id) == "已致电139****5678"
    assert _raw("complaints_complaint", "contact_name", complaint.id) == "张三139****5678"
    assert _raw("complaints_evaluation", "text", evaluation.id) == MASKED
    assert _raw("complaints_escalation", "content", escalation.id) == MASKED
    for table, column, pk in (
        ("complaints_complaint", "content_sealed", complaint.id),
        ("complaints_complaint", "reply_sealed", complaint.id),
        ("complaints_evaluation", "text_sealed", evaluation.id),
        ("complaints_escalation", "content_sealed", escalation.id),
    ):
        raw = _raw(table, column, pk)
        assert raw.startswith("enc1:") and PHONE not in raw, column
    complaint.refresh_from_db()
    assert complaint.content == MASKED and complaint.content_sealed == TEXT
    # History rows are scrubbed too (no sealed copy there).
    notes = " ".join(complaint.events.values_list("note", flat=True))
    assert PHONE not in notes


def test_text_without_numbers_keeps_no_sealed_copy(centre):
    complaint = services.complaint_submit(
        centre=centre, channel=channel_for(centre, Channel.Kind.HOTLINE), content="窗口态度冷漠"
    )
    assert _raw("complaints_complaint", "content_sealed", complaint.id) == ""


def test_saving_a_record_again_keeps_its_sealed_original(centre):
    complaint = _complaint(centre)
    loaded = Complaint.objects.get(pk=complaint.pk)
    loaded.save()  # a full save of the display copy, as the admin or a later edit does
    loaded.refresh_from_db()
    assert loaded.content == MASKED and loaded.content_sealed == TEXT


def test_a_queryset_update_cannot_put_a_number_in_clear(centre):
    complaint = _complaint(centre)
    Complaint.objects.filter(pk=complaint.pk).update(content=TEXT)
    assert _raw("complaints_complaint", "content", complaint.id) == MASKED


def test_saving_a_sealed_field_without_its_sibling_is_refused(centre):
    complaint = _complaint(centre)
    complaint.content = "另一段话"
    with pytest.raises(ValueError, match="content_sealed"):
        complaint.save(update_fields=["content"])


def test_the_owner_and_leaders_reveal_the_full_text_and_each_view_is_logged(as_user, centre, leader, centre_admin):
    complaint = _complaint(centre)
    complaint.owner = centre_admin
    complaint.save(update_fields=["owner"])
    for person in (leader, centre_admin):
        response = as_user(person).post(reverse("complaints:complaint-reveal", args=[complaint.public_id, "content"]))
        assert response.status_code == 200
        assert TEXT in response.content.decode()
        assert response["Cache-Control"] == "no-store"
    logged = TextAccess.objects.filter(record_kind="complaint", record_id=complaint.id, field="content")
    assert sorted(logged.values_list("viewer__username", flat=True)) == sorted([leader.username, centre_admin.username])


def test_the_detail_page_offers_the_reveal_only_to_those_allowed(as_user, centre, leader, centre_admin):
    complaint = _complaint(centre)
    assert "reveal-text-content" in as_user(leader).get(complaint.get_absolute_url()).content.decode()
    # A centre administrator who does not answer for the complaint manages it, but does not call back.
    assert "reveal-text-content" not in as_user(centre_admin).get(complaint.get_absolute_url()).content.decode()


def test_others_cannot_reveal_and_nothing_is_logged(as_user, centre, leader, centre_admin, other_leader):
    complaint = _complaint(centre)
    url = reverse("complaints:complaint-reveal", args=[complaint.public_id, "content"])
    refused = as_user(centre_admin).post(url)
    assert refused.status_code == 403 and PHONE not in refused.content.decode()
    assert as_user(other_leader).post(url).status_code == 404
    assert (
        as_user(leader).post(reverse("complaints:complaint-reveal", args=[complaint.public_id, "owner"])).status_code
        == 400
    )
    assert as_user(leader).get(url).status_code == 405
    assert not TextAccess.objects.exists()
    with pytest.raises(NotPermitted):
        services.feedback_text_reveal(record=complaint, viewer=centre_admin, field="content")


def test_an_evaluation_and_an_escalation_reveal_their_text(as_user, centre, leader):
    evaluation = _bad_evaluation(centre)
    escalation = _escalation(centre, leader)
    client = as_user(leader)
    bad_review_page = client.get(reverse("complaints:bad-review-detail", args=[evaluation.bad_review.pk]))
    assert "reveal-text-text" in bad_review_page.content.decode()
    shown = client.post(reverse("complaints:bad-review-reveal", args=[evaluation.bad_review.pk, "text"]))
    assert TEXT in shown.content.decode()
    shown = client.post(reverse("complaints:escalation-reveal", args=[escalation.public_id, "content"]))
    assert TEXT in shown.content.decode()
    assert set(TextAccess.objects.values_list("record_kind", flat=True)) == {"evaluation", "escalation"}


def test_a_revealed_text_without_numbers_is_its_display_copy(as_user, centre, leader):
    complaint = services.complaint_submit(
        centre=centre, channel=channel_for(centre, Channel.Kind.HOTLINE), content="态度冷漠"
    )
    response = as_user(leader).post(reverse("complaints:complaint-reveal", args=[complaint.public_id, "content"]))
    assert "态度冷漠" in response.content.decode()


# --- any number, any spelling --------------------------------------------------------------

_WORDS = st.text(alphabet=st.sampled_from("请回电话身份证号码办事窗口态度，。！ "), max_size=12)
_SEP = st.sampled_from(["", " ", "-"])
_PHONES = st.builds(
    lambda second, rest, sep: f"1{second}{rest[:1]}{sep}{rest[1:5]}{sep}{rest[5:]}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    _SEP,
)
_IDS = st.builds(
    lambda body, check, sep: f"{body[:6]}{sep}{body[6:14]}{sep}{body[14:]}{check}",
    st.text(alphabet="0123456789", min_size=17, max_size=17),
    st.sampled_from("0123456789X"),
    _SEP,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=_WORDS, number=st.one_of(_PHONES, _IDS), after=_WORDS)
def test_no_generated_phone_or_id_in_free_text_ever_reaches_the_raw_column(centre, before, number, after):
    text = f"{before}{number}{after}"
    complaint = services.complaint_submit(
        centre=centre, channel=channel_for(centre, Channel.Kind.HOTLINE), content=text, contact_name=text[:100]
    )
    digits = number.replace(" ", "").replace("-", "")
    for column in ("content", "contact_name", "content_sealed"):
        raw = _raw("complaints_complaint", column, complaint.id)
        assert digits not in raw.replace(" ", "").replace("-", ""), (column, raw)
    assert Complaint.objects.get(pk=complaint.pk).content_sealed == text.strip()  # the service trims
