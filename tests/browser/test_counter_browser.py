"""Issue 16 ("Shown by"), at the counter: Enter in any field of the case form submits nothing; a decision is a
button and a confirmation; a returning citizen's case is found by their phone written in full-width digits;
the receiver picker filters as one types; the commitment printed for signing is a logged reveal."""

from __future__ import annotations

import re

import pytest

from cases import services
from cases.models import Case, PiiAccess
from tests.conftest import browser_login
from tests.factories.cases import PHONE, VALID_RIC, matter_with_materials

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIELDS = ("#id_applicant_name", "#id_applicant_id_number", "#id_applicant_phone")


@pytest.fixture
def matter(centre):
    return matter_with_materials(centre, code="CTR001")


def _log(actor, matter, *, name: str = "王小明", phone: str = PHONE, provided: str = "all") -> Case:
    return services.case_create(
        actor=actor,
        matter_type_id=matter.id,
        provided_material_ids=[m.id for m in matter.materials.all() if provided == "all" or m.is_core],
        applicant_kind=Case.ApplicantKind.PERSON,
        applicant_name=name,
        applicant_phone=phone,
        applicant_id_number=VALID_RIC,
    )


def test_enter_never_submits_the_case_form_and_a_decision_is_confirmed(page, window_staff, matter, live_server):
    browser_login(page, window_staff)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.goto(live_server.url + "/cases/new/")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "id_matter_type"

    page.select_option("#id_matter_type", str(matter.id))
    secondary = page.get_by_label("住所使用证明")  # swapped in by htmx
    secondary.wait_for()
    boxes = page.locator("input[name=provided]")
    assert boxes.count() == 3 and not any(boxes.nth(i).is_checked() for i in range(3))

    page.fill("#id_applicant_name", "王小明")
    page.fill("#id_applicant_id_number", VALID_RIC)
    page.fill("#id_applicant_phone", "13812341234")
    for field in FIELDS:
        page.focus(field)
        page.keyboard.press("Enter")
    page.get_by_label("营业执照申请书").check()
    page.get_by_label("营业执照申请书").press("Enter")  # on a checkbox too
    page.focus("#id_applicant_phone")
    page.keyboard.press("Enter")  # again, with materials ticked
    page.wait_for_timeout(400)  # time for a submission to start, were there one
    assert posts == [] and page.url.endswith("/cases/new/") and not Case.objects.exists()

    page.get_by_label("身份证明").check()
    page.click("[data-testid=accept-deficient]")
    page.get_by_test_id("case-confirm").wait_for()
    assert not Case.objects.exists()
    assert "住所使用证明" in page.get_by_test_id("confirm-deferred").inner_text()
    assert "营业执照申请书" in page.get_by_test_id("confirm-received").inner_text()
    page.click("[data-testid=confirm]")
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
    assert Case.objects.get().status == Case.Status.AWAITING_CORRECTION


def test_a_returning_citizen_is_found_by_a_full_width_phone(
    page, window_staff, other_window_staff, matter, live_server
):
    theirs = _log(other_window_staff, matter, name="陈静", phone="13987654321")
    browser_login(page, window_staff)
    page.goto(live_server.url + "/cases/")
    box = page.get_by_test_id("case-search-input")
    box.fill("１３９ ８７６５ ４３２１")
    box.press("Enter")  # a search, not a decision: Enter is how one searches
    page.wait_for_url(re.compile(r"/cases/\?q="))
    table = page.get_by_test_id("case-table").inner_text()
    assert theirs.tracking_no in table
    assert "陈* · 139****4321" in table and "13987654321" not in page.content()


def test_receivers_filter_as_one_types_and_the_commitment_prints_for_signing(
    page, window_staff, other_window_staff, matter, live_server
):
    case = _log(window_staff, matter, provided="core")
    deficient_case = services.case_accept_with_deficiencies(
        case_id=case.id, actor=window_staff, deferred_material_ids=[case.materials.get(is_core=False).id]
    )
    browser_login(page, window_staff)
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    page.goto(live_server.url + deficient_case.get_absolute_url())
    search = page.get_by_test_id("receiver-filter")
    assert search.is_visible()  # shown by the script; hidden without it
    search.fill(other_window_staff.name)
    visible = page.evaluate(
        "[...document.querySelectorAll('#id_to_user optgroup option')].filter(o => !o.hidden).map(o => o.textContent)"
    )
    assert visible and all(other_window_staff.name in text for text in visible)
    search.press("Enter")  # never offers the hand-over
    assert not deficient_case.handovers.exists()

    page.goto(f"{live_server.url}/cases/{deficient_case.public_id}/commitment/")
    assert VALID_RIC not in page.get_by_test_id("document").inner_text()
    page.click("[data-testid=print-for-signing]")
    page.get_by_test_id("signing-copy").wait_for()
    assert VALID_RIC in page.get_by_test_id("document").inner_text()
    assert page.evaluate("window.__printed") == 1
    assert (
        PiiAccess.objects.filter(case=deficient_case, viewer=window_staff, field=services.COMMITMENT_PRINT).count() == 1
    )
