"""At the counter (issue 16): the case form never decides on Enter and confirms each decision; materials
start unticked and a consultation records none; every error shows at once; the case search finds a
returning citizen by what they bring; the grouped receiver picker; the commitment printed for signing is a
logged reveal; the correction list carries the way to follow the case online."""

from __future__ import annotations

import importlib
import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import selectors, services
from cases.counter import Decision, material_errors, split_materials
from cases.models import Case, CaseMaterial, PiiAccess
from cases.search import Kind, parse, phone_last4
from tests.factories.cases import PHONE, VALID_RIC, case_form_data, matter_with_materials
from tests.factories.staff import window_staff as make_window_staff

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _form(matter, **extra):
    return case_form_data(matter, **extra)


def _provided_inputs(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="provided"[^>]*>', html)


# --- the case form ------------------------------------------------------------------------------------


def test_materials_start_unticked_and_the_first_field_is_focused(as_user, window_staff, matter):
    html = as_user(window_staff).get(reverse("cases:new"), {"matter_type": matter.id}).content.decode()
    boxes = _provided_inputs(html)
    assert len(boxes) == 3 and not any("checked" in box for box in boxes)
    assert re.search(r'<select name="matter_type"[^>]*autofocus', html)


def test_the_forms_default_button_is_a_disabled_one_so_enter_submits_nothing(as_user, window_staff, matter):
    html = as_user(window_staff).get(reverse("cases:new"), {"matter_type": matter.id}).content.decode()
    form = html[html.index('data-testid="case-form"') :]
    submits = re.findall(r"<button[^>]*type=\"submit\"[^>]*>", form)
    assert "disabled" in submits[0]  # Enter in a text field: the default button is disabled, nothing is sent
    assert 'name="decision" value=""' in submits[1]  # Enter on a checkbox (Chromium): a button that decides nothing
    assert "data-no-enter-submit" in form and "cases/counter" in html  # and with JS no request at all
    assert "Chromium" not in html  # the template's notes stay out of the page


@pytest.mark.parametrize("decision", [None, ""])
def test_a_post_without_a_decision_button_decides_nothing_and_keeps_the_form(as_user, window_staff, matter, decision):
    data = _form(matter) if decision is None else _form(matter, decision=decision)
    html = as_user(window_staff).post(reverse("cases:new"), data).content.decode()
    assert 'data-testid="decide-hint"' in html and 'value="王小明"' in html
    assert "errorlist" not in html and 'data-testid="case-confirm"' not in html
    assert not Case.objects.exists()


def test_an_unknown_decision_is_refused(as_user, window_staff, matter):
    html = as_user(window_staff).post(reverse("cases:new"), _form(matter, confirm="approve")).content.decode()
    assert "请点击“受理”“容缺受理”或“仅登记咨询”按钮作出决定" in html and not Case.objects.exists()


def test_a_decision_is_confirmed_with_the_materials_received_and_deferred_before_anything_is_written(
    as_user, window_staff, matter
):
    client = as_user(window_staff)
    confirmation = client.post(reverse("cases:new"), _form(matter, decision="accept_deficient"))
    assert confirmation["Cache-Control"] == "no-store"
    page = confirmation.content.decode()
    assert not Case.objects.exists()
    received = page[page.index('data-testid="confirm-received"') :]
    deferred = page[page.index('data-testid="confirm-deferred"') :]
    assert "营业执照申请书" in received.split("</ul>")[0] and "身份证明" in received.split("</ul>")[0]
    assert "住所使用证明" in deferred.split("</ul>")[0]
    assert "住所使用证明" not in received.split("</ul>")[0]
    assert PHONE not in page.replace(f'value="{PHONE}"', "")  # masked on screen; carried in a hidden field only
    response = client.post(reverse("cases:new"), _form(matter, confirm="accept_deficient"))
    case = Case.objects.get()
    assert response["Location"] == case.get_absolute_url()
    assert case.status == Case.Status.AWAITING_CORRECTION
    assert case.materials.get(is_core=False).state == CaseMaterial.State.DEFERRED


def test_going_back_from_the_confirmation_keeps_the_input_and_writes_nothing(as_user, window_staff, matter):
    page = as_user(window_staff).post(reverse("cases:new"), _form(matter, decision="accept", back="1"))
    html = page.content.decode()
    assert 'value="王小明"' in html and not Case.objects.exists()
    ticked = [box for box in _provided_inputs(html) if "checked" in box]
    assert len(ticked) == 2  # the two core materials ticked before
    assert "errorlist" not in html


def test_a_consultation_records_no_material_even_when_some_are_ticked(as_user, window_staff, matter):
    client = as_user(window_staff)
    everything = [m.id for m in matter.materials.all()]
    page = client.post(reverse("cases:new"), _form(matter, decision="consult", provided=everything))
    assert 'data-testid="confirm-consult"' in page.content.decode()
    client.post(reverse("cases:new"), _form(matter, confirm="consult", provided=everything))
    case = Case.objects.get()
    assert case.status == Case.Status.CONSULTATION
    assert set(case.materials.values_list("state", flat=True)) == {CaseMaterial.State.MISSING}


def test_every_error_shows_at_once_beside_its_field_and_the_input_is_kept(as_user, window_staff, matter):
    data = _form(
        matter,
        decision="accept",
        applicant_name="",
        applicant_id_number="110105194912310021",  # wrong check digit
        applicant_phone="１２３",
        provided=[],
    )
    html = as_user(window_staff).post(reverse("cases:new"), data).content.decode()
    assert not Case.objects.exists()
    for field in ("applicant_name", "applicant_id_number", "applicant_phone", "provided"):
        assert f'id="id_{field}_error"' in html, field
    assert "居民身份证号码无效" in html and "联系电话格式不正确" in html and "材料不齐，不能直接受理" in html
    assert 'value="110105194912310021"' in html and 'value="１２３"' in html  # kept as typed
    assert re.search(r'<input type="text" name="applicant_name"[^>]*autofocus', html)  # the first field in error


@pytest.mark.parametrize(
    ("decision", "ticked", "error"),
    [
        ("accept", "all", None),
        ("accept", "core", "材料不齐"),
        ("accept_deficient", "core", None),
        ("accept_deficient", "all", "材料已齐全"),
        ("accept_deficient", "none", "主要材料未提交"),
        ("consult", "none", None),
    ],
)
def test_which_ticked_materials_allow_which_decision(matter, decision, ticked, error):
    materials = list(matter.materials.all())
    provided = [m.id for m in materials if ticked == "all" or (ticked == "core" and m.is_core)]
    errors = material_errors(materials, provided, decision)
    assert (error is None and errors == []) or (error is not None and error in errors[0])


def test_a_consultation_splits_every_material_as_missing(matter):
    materials = list(matter.materials.all())
    split = split_materials(materials, [m.id for m in materials], Decision.CONSULT)
    assert split.received == [] and split.deferred == [] and len(split.missing) == 3


# --- the case search ------------------------------------------------------------------------------------


@pytest.fixture
def returning(window_staff, log_case):
    """A citizen's case logged by a colleague: not in the searching clerk's own list."""
    return log_case(window_staff, applicant_name="陈静", applicant_phone="13912345678", applicant_id_number=VALID_RIC)


@pytest.mark.parametrize(
    ("q", "kind"),
    [
        ("13912345678", Kind.NUMBER),
        ("１３９１２３４５６７８", Kind.NUMBER),
        ("+86 139-1234-5678", Kind.NUMBER),
        ("11010519491231002x", Kind.NUMBER),
        ("１１０１０５ １９４９１２３１ ００２Ｘ", Kind.NUMBER),
        ("陈静", Kind.NAME),
        ("陈静 5678", Kind.NAME_LAST4),
        ("５６７８陈静", Kind.NAME_LAST4),
    ],
)
def test_a_case_is_found_by_each_key_the_citizen_brings(other_window_staff, returning, q, kind):
    assert parse(q).kind == kind
    found = selectors.case_list_for(user=other_window_staff, q=q)
    assert list(found) == [returning]


def test_a_case_is_found_by_its_tracking_number_whole_or_part(window_staff, returning):
    assert parse(returning.tracking_no.lower()).kind == Kind.TRACKING_NO
    assert list(selectors.case_list_for(user=window_staff, q=returning.tracking_no.lower())) == [returning]
    serial = returning.tracking_no[-6:]  # 000001
    assert parse(serial).kind == parse(serial.lstrip("0")).kind == Kind.TRACKING_SERIAL
    assert list(selectors.case_list_for(user=window_staff, q=serial.lstrip("0"))) == [returning]
    assert list(selectors.case_list_for(user=window_staff, q=returning.tracking_no.split("-", 1)[1])) == [
        returning
    ]  # 2026-000001
    assert parse(returning.tracking_no[:-2]).kind == Kind.TRACKING_PART
    assert list(selectors.case_list_for(user=window_staff, q=returning.tracking_no[:-2])) == [returning]


@pytest.mark.parametrize("q", ["5678", "陈静 1234", "陈 5678", "13912345679", "陈", "11010519491231003X"])
def test_near_misses_find_nothing(window_staff, returning, q):
    assert not selectors.case_list_for(user=window_staff, q=q).exists()


def test_another_centres_staff_do_not_find_the_case(foreign_staff, returning):
    assert not selectors.case_list_for(user=foreign_staff, q="13912345678").exists()


_DIGITS = "13912345678"


@st.composite
def phone_spellings(draw: st.DrawFn) -> str:
    """The same mobile as people type it: any digit full-width, separators between groups, a country code."""
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "86", "＋８６ ", "(+86) "]))
    out = []
    for i, digit in enumerate(_DIGITS):
        out.append(digit.translate(FULL_WIDTH) if draw(st.booleans()) else digit)
        if i in (2, 6) or draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from(["", " ", "-", "　", "－", "."])))
    return prefix + "".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=phone_spellings())
def test_any_spelling_of_the_phone_finds_the_case(window_staff, returning, q):
    assert parse(q).kind == Kind.NUMBER
    assert list(selectors.case_list_for(user=window_staff, q=q)) == [returning]


def test_the_search_box_looks_at_every_case_of_the_centre_and_the_list_shows_the_applicant_masked(
    as_user, other_window_staff, returning
):
    html = as_user(other_window_staff).get(reverse("cases:list"), {"q": "１３９ １２３４ ５６７８"}).content.decode()
    assert returning.tracking_no in html
    assert "陈* · 139****5678" in html
    assert "13912345678" not in html and "陈静" not in html.replace('value="陈静"', "")


def test_last_four_digits_are_stored_with_the_phone(returning):
    assert returning.applicant_phone_last4 == "5678"
    assert phone_last4("+86 139-1234-５６７８") == "5678" and phone_last4("") == ""


def test_the_data_migration_fills_the_last_four_digits_of_existing_cases(returning, log_case, window_staff):
    no_phone = log_case(window_staff, applicant_phone="")
    Case.objects.update(applicant_phone_last4="")
    migration = importlib.import_module("cases.migrations.0009_counter_case_search")
    migration.fill_last4(apps, None)
    migration.fill_last4(apps, None)  # a second run changes nothing
    assert Case.objects.get(id=returning.id).applicant_phone_last4 == "5678"
    assert Case.objects.get(id=no_phone.id).applicant_phone_last4 == ""


# --- the hand-over receiver picker ----------------------------------------------------------------------


def test_receivers_are_grouped_by_department_and_window_with_a_filter_box_for_js(
    as_user, centre, window, window_staff, log_case
):
    make_window_staff(centre=centre, window=window, username="staff3", name="周明")
    other = make_window_staff(centre=centre, username="staff4", name="吴芳")
    case = log_case(window_staff)
    html = as_user(window_staff).get(case.get_absolute_url()).content.decode()
    assert f'<optgroup label="{window.department} · {window}">' in html
    assert f'<optgroup label="{other.window.department} · {other.window}">' in html
    assert re.search(r'<select name="to_user"[^>]*data-picker="receiver"', html)
    assert re.search(r'<input type="search"[^>]*data-picker-filter="id_to_user"[^>]*hidden>', html)  # shown by JS
    assert "cases/counter" in html  # the local script, no CDN


# --- the commitment printed for signing, the correction list --------------------------------------------


def test_the_commitment_is_masked_on_screen_and_printing_it_for_signing_is_a_logged_reveal(
    as_user, window_staff, deficient_case
):
    client = as_user(window_staff)
    screen = client.get(reverse("cases:commitment", args=[deficient_case.public_id])).content.decode()
    assert VALID_RIC not in screen and "王小明" not in screen and "110105********002X" in screen
    assert not PiiAccess.objects.exists()
    printed = client.post(reverse("cases:commitment-print", args=[deficient_case.public_id]))
    html = printed.content.decode()
    assert VALID_RIC in html and "王小明" in html and "data-autoprint" in html
    assert printed["Cache-Control"] == "no-store"
    access = PiiAccess.objects.get()
    assert (access.case, access.viewer, access.field) == (deficient_case, window_staff, services.COMMITMENT_PRINT)
    assert access.viewed_at is not None


def test_a_colleague_without_the_right_cannot_print_the_full_commitment(as_user, other_window_staff, deficient_case):
    client = as_user(other_window_staff)
    screen = client.get(reverse("cases:commitment", args=[deficient_case.public_id])).content.decode()
    assert "print-for-signing" not in screen
    response = client.post(reverse("cases:commitment-print", args=[deficient_case.public_id]))
    assert response.status_code == 302 and not PiiAccess.objects.exists()
    assert client.get(response["Location"]).content.decode().count(VALID_RIC) == 0


def test_the_commitment_print_is_a_post_only(as_user, window_staff, deficient_case):
    response = as_user(window_staff).get(reverse("cases:commitment-print", args=[deficient_case.public_id]))
    assert response.status_code == 405 and not PiiAccess.objects.exists()


def test_the_correction_list_carries_the_tracking_number_the_progress_url_and_its_qr_code(
    as_user, window_staff, deficient_case, settings
):
    settings.PUBLIC_BASE_URL = "https://zwfw.example.gov.cn/"
    html = as_user(window_staff).get(reverse("cases:correction-list", args=[deficient_case.public_id])).content
    text = html.decode()
    url = f"https://zwfw.example.gov.cn/cases/progress/?no={deficient_case.tracking_no}"
    assert deficient_case.tracking_no in text and url in text
    qr = re.search(r'<img src="(data:image/svg\+xml[^"]+)"[^>]*data-testid="progress-qr"', text)
    assert qr and "%3Csvg" in qr.group(1)


def test_the_progress_url_leads_to_the_public_progress_page(client, deficient_case):
    from cases.progress_link import progress_url

    url = urlsplit(progress_url(deficient_case))
    assert client.get(f"{url.path}?{url.query}").status_code == 200


def test_the_correction_list_pdf_carries_the_qr_code(deficient_case):
    from cases import documents

    if not documents.pdf_available():
        pytest.skip("no CJK font on this machine")
    pdf = documents.render_pdf(documents.correction_list_document(deficient_case))
    assert b"/Image" in pdf


def test_a_matter_without_materials_can_be_accepted(as_user, window_staff, centre):
    bare = matter_with_materials(centre, code="BARE", core=(), secondary=(), name="无材料事项")
    client = as_user(window_staff)
    client.post(reverse("cases:new"), _form(bare, provided=[], confirm="accept"))
    assert Case.objects.get().status == Case.Status.ACCEPTED


def test_accepting_a_consultation_from_its_page_is_confirmed_and_a_bad_choice_named(as_user, window_staff, log_case):
    case = log_case(window_staff, provided="none")
    client = as_user(window_staff)
    url = reverse("cases:accept", args=[case.public_id])
    refused = client.post(url, {"provided": [], "action": "accept"}, follow=True).content.decode()
    assert "材料不齐，不能直接受理" in refused
    everything = list(case.materials.values_list("id", flat=True))
    page = client.post(url, {"provided": everything, "action": "accept"}).content.decode()
    assert 'data-testid="case-confirm"' in page and f'action="{url}"' in page
    assert Case.objects.get(id=case.id).status == Case.Status.CONSULTATION
    client.post(url, {"provided": everything, "action": "accept", "confirm": "accept"})
    assert Case.objects.get(id=case.id).status == Case.Status.ACCEPTED
