"""A notice reads in the reader's language, whoever (or whichever task) sent it and in whatever language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.models import Complaint
from notifications.services import notice_send, notice_text
from notifications.wording import render_message

pytestmark = pytest.mark.django_db

ASSIST = gettext_noop("请为办件 %(no)s 提供帮办代办服务。")


def test_a_notice_sent_in_chinese_reads_in_english_for_an_english_reader(as_user, helper):
    with translation.override("zh-hans"):
        notice_send(recipient=helper, key="k1", text=notice_text(ASSIST, {"no": "GS-2026-000123"}))

    page = as_user(helper).get(reverse("notifications:notice-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Please give assisted handling for case GS-2026-000123." in page.content.decode()

    page = as_user(helper).get(reverse("notifications:notice-list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "请为办件 GS-2026-000123 提供帮办代办服务。" in page.content.decode()


def test_a_notice_sent_from_an_english_request_is_stored_in_the_default_language(helper):
    with translation.override("en"):
        notice = notice_send(recipient=helper, key="k2", text=notice_text(ASSIST, {"no": "GS-1"}))
    assert notice.text == "请为办件 GS-1 提供帮办代办服务。"  # what the admin searches and shows
    with translation.override("en"):
        assert notice.shown == "Please give assisted handling for case GS-1."


def test_the_notice_api_gives_the_text_in_the_callers_language(as_user, helper):
    notice_send(recipient=helper, key="k3", text=notice_text(ASSIST, {"no": "GS-2"}))
    answer = as_user(helper).get("/api/v1/notifications/notices/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert answer["results"][0]["text"] == "Please give assisted handling for case GS-2."


def test_a_choice_label_among_the_parameters_is_translated_with_the_rest(helper):
    label = Complaint.Status.CLOSED.label
    notice = notice_send(recipient=helper, key="k4", text=notice_text(gettext_noop("状态：%(s)s"), {"s": label}))
    assert notice.params == {"s": {"t": str(label), "p": {}}}
    with translation.override("en"):
        english_label = str(Complaint.Status.CLOSED.label)
    assert english_label != notice.params["s"]["t"]
    assert render_message("%(s)s", notice.params) == notice.params["s"]["t"]  # the default language is active
    with translation.override("en"):
        assert render_message("%(s)s", notice.params) == english_label


def test_a_phone_number_in_a_parameter_is_masked_when_stored(helper):
    notice = notice_send(recipient=helper, key="k5", text=notice_text(ASSIST, {"no": "请联系 138 0013 8000"}))
    assert notice.params["no"] == "请联系 138****8000"
    assert "0013" not in notice.text
    with translation.override("en"):
        assert "0013" not in notice.shown


def test_a_plain_string_notice_is_kept_as_written(helper):
    notice = notice_send(recipient=helper, key="k6", text="王主任留言：明天例会提前")
    assert notice.message == ""
    with translation.override("en"):
        assert notice.shown == "王主任留言：明天例会提前"


def test_a_wording_that_no_longer_fits_its_parameters_falls_back_rather_than_failing():
    assert render_message("办件 %(no)s", {}) == "办件 %(no)s"
    assert render_message("共 %(n)d 项", {"n": "三"}) == "共 %(n)d 项"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["no", "q", "x"]), st.text(max_size=40) | st.integers()))
def test_rendering_never_fails_and_keeps_every_parameter(params):
    notice_params = notice_text("%(no)s|%(q)s|%(x)s", params).stored_params()
    shown = render_message("%(no)s|%(q)s|%(x)s", notice_params)
    if set(params) == {"no", "q", "x"}:
        assert shown.count("|") >= 2
    else:
        assert shown == "%(no)s|%(q)s|%(x)s"
