"""Plain errors everywhere: a database constraint a form can hit is said in words next to its field, in the
user's language; the 400/403/404/500 pages are translated, in the site's layout, with a way back; Django's
"- Select an option -" no longer shows on Chinese pages."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test import RequestFactory
from django.utils import translation

from cases.models import MatterType
from complaints.models import Complaint
from govservice import views
from staff.models import Window
from tests.factories.cases import MatterTypeFactory

pytestmark = pytest.mark.django_db


def _admin_add_matter(client, centre, **overrides):
    data = {
        "centre": centre.id,
        "code": "QYKB009",
        "name": "企业开办",
        "promised_days": 5,
        "correction_days": 8,
        "reminder_offsets": "2,0",
        "is_active": "on",
        "materials-TOTAL_FORMS": 0,
        "materials-INITIAL_FORMS": 0,
        "materials-MIN_NUM_FORMS": 0,
        "materials-MAX_NUM_FORMS": 1000,
    }
    data.update(overrides)
    return client.post("/admin/cases/mattertype/add/", data)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "补正期限不能超过承诺时限（5 个工作日）。"),
        ("en", "The correction period cannot exceed the promised time (5 working days)."),
    ],
)
def test_a_correction_period_longer_than_the_promise_is_refused_next_to_the_field(
    as_user, admin, centre, language, message
):
    client = as_user(admin)
    client.cookies["django_language"] = language
    response = _admin_add_matter(client, centre)
    assert response.status_code == 200, "the form is shown again, not a database error"
    form = response.context["adminform"].form
    assert form.errors["correction_days"] == [message]
    assert "matter_type_correction_within_promise" not in response.content.decode()
    assert not MatterType.objects.exists()


def test_a_duplicate_matter_code_is_refused_next_to_the_code(as_user, admin, centre):
    MatterTypeFactory(centre=centre, code="QYKB009")
    response = _admin_add_matter(as_user(admin), centre, correction_days=3)
    assert response.context["adminform"].form.errors["code"] == ["本中心已有事项编码“QYKB009”。"]


def test_a_duplicate_window_number_is_said_in_words_in_both_languages(centre, window):
    form_class = forms.modelform_factory(Window, fields=["centre", "code", "name", "kind"])
    data = {"centre": centre.id, "code": window.code, "name": "另一个", "kind": "professional"}
    form = form_class(data)
    assert not form.is_valid() and form.errors["code"] == [f"本中心已有窗口号“{window.code}”。"]
    with translation.override("en"):
        form = form_class(data)
        assert form.errors["code"] == [f"This centre already has window number “{window.code}”."]


def test_the_empty_choice_of_a_select_is_chinese_on_chinese_pages():
    form_class = forms.modelform_factory(Complaint, fields=["category"])
    with translation.override("zh-hans"):
        html = str(form_class()["category"])
    assert "— 请选择 —" in html and "Select an option" not in html
    with translation.override("en"):
        assert "Select an option" in str(form_class()["category"])


def test_a_filters_empty_choice_is_in_the_pages_language(as_user, leader):
    page = as_user(leader).get("/feedback/complaints/").content.decode()
    assert "---------" not in page and "全部" in page


# --- error pages, with DEBUG off -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def test_a_missing_page_is_translated_in_the_sites_layout(as_user, window_staff):
    client = as_user(window_staff)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在（404）" in page and 'data-testid="error-back"' in page and 'id="mainnav"' in page
    client.cookies["django_language"] = "en"
    english = client.get("/no-such-page/").content.decode()
    assert "Page not found (404)" in english and "Back to home" in english


def test_a_menu_link_the_role_may_not_use_gives_a_translated_403(as_user, window_staff):
    client = as_user(window_staff)
    response = client.get("/people/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问（403）" in page and 'data-testid="error-back"' in page and "Forbidden" not in page
    client.cookies["django_language"] = "en"
    assert "Access denied (403)" in client.get("/people/").content.decode()


def test_the_api_keeps_its_json_errors(as_user, window_staff):
    response = as_user(window_staff).get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_500_page_is_translated_and_needs_no_database(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(connection, "cursor", broken)
    request = RequestFactory().get("/cases/")
    with translation.override("zh-hans"):
        response = views.server_error(request)
    page = response.content.decode()
    assert response.status_code == 500 and "系统出错（500）" in page and 'href="/"' in page
    with translation.override("en"):
        assert "Server error (500)" in views.server_error(request).content.decode()


def test_a_request_that_raises_ends_on_the_translated_500_page(client, monkeypatch):
    import staff.views

    def boom(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(staff.views.home_notes, "notes_for", boom)
    from tests.factories.staff import UserFactory

    client.raise_request_exception = False
    client.force_login(UserFactory(), backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/")
    assert response.status_code == 500 and "系统出错（500）" in response.content.decode()


def test_an_expired_form_gives_a_translated_page(window_staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(window_staff, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(f"/people/{window_staff.id}/deactivate/")
    assert response.status_code == 403 and "页面已过期" in response.content.decode()


def test_favicon_ico_leads_to_the_sites_icon_not_a_404(client):
    # Django's admin names no icon, so browsers ask for /favicon.ico there; a 404 shows as a console error.
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("govservice/favicon.svg")
