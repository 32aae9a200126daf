"""Issue 15 ("Shown by"): the centre administrator and the leader at work, in Chinese and English.

The administrator enters next year's holidays in one go and sees a provisional case deadline move,
adds a window in the admin and prints its QR code, adds a staff account, and finds another centre's
rows out of reach (404). The leader deactivates someone with open cases and hands them over. The
error pages and the admin speak the session's language only.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import services as case_services
from cases.models import Case
from govservice.calendar_year import package_knows
from staff.models import User, Window
from tests.browser.ui import screen, tr
from tests.conftest import browser_login
from tests.factories.cases import PHONE, VALID_RIC, matter_with_materials
from tests.factories.staff import UserFactory, WindowFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [pytest.param("zh-hans", id="zh"), pytest.param("en", id="en")]
# The Monday before a new year the installed chinesecalendar does not know: a promised date
# counted into January is provisional until the year's holidays are entered.
MONDAY = datetime(2026, 12, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# Django's own admin and error page words that a Chinese page must not show.
ENGLISH_CHROME = re.compile(
    r"\b(Save|Delete|Home|Log out|Change password|View site|Select an option|Search|Filter|Add|"
    r"Page not found|Not Found|Forbidden|Server Error|Site administration|Django administration|"
    r"Recent actions|Welcome|History|Required|This field is required)\b"
)
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(autouse=True)
def _monday_before_new_year():
    assert not package_knows(2027), "the installed chinesecalendar knows 2027: pick a later scene year"
    # Ticking, so the live server and the browser's session see time pass as usual.
    with time_machine.travel(MONDAY, tick=True):
        yield


def _accepted_case(handler: User, *, promised_days: int = 10) -> Case:
    matter = matter_with_materials(handler.centre, code="OPS001", promised_days=promised_days)
    case = case_services.case_create(
        actor=handler,
        matter_type_id=matter.id,
        provided_material_ids=[m.id for m in matter.materials.all()],
        applicant_kind=Case.ApplicantKind.PERSON,
        applicant_name="王小明",
        applicant_phone=PHONE,
        applicant_id_number=VALID_RIC,
    )
    return case_services.case_accept(case_id=case.id, actor=handler)


def _chrome_text(page) -> str:
    """The page's visible text without the data an administrator typed into form fields."""
    return page.inner_text("body")


def _assert_one_language(page, name: str, *, data: tuple[str, ...] = ()) -> None:
    """A Chinese page shows no English UI words; an English page no Chinese UI phrase (checked by `screen`)."""
    screen(page, name, data=data)
    if page.language == "zh-hans":
        left = sorted(set(ENGLISH_CHROME.findall(_chrome_text(page))))
        assert not left, f"{name}: English UI words on the Chinese page: {left}"
    else:
        # The language switcher names each language in itself (简体中文); that is no untranslated label.
        chrome = page.locator("h1, h2, th, label, button:not(.lang-btn), #mainnav a, .breadcrumbs")
        headings = " ".join(chrome.all_inner_texts())
        stray = [word for word in CJK.findall(headings) if not any(word in d for d in data)]
        assert not stray, f"{name}: Chinese in the English page's headings and labels: {''.join(stray)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_centre_administrator_enters_next_years_holidays_and_a_provisional_deadline_moves(
    browser_pages, language, centre_admin, window_staff
):
    case = _accepted_case(window_staff)
    assert case.due_date.isoformat() == "2027-01-11"  # 1 January counted as a working day, for now
    page = browser_pages.open("desktop", language)
    browser_login(page, centre_admin)

    page.goto(page.live_server_url + "/calendar/")
    row = page.locator("tr", has=page.locator('a[href="/calendar/2027/"]'))
    assert row.count() == 1
    screen(page, "calendar-years")
    page.click('a[href="/calendar/2027/"]')
    page.wait_for_url("**/calendar/2027/")
    assert page.locator("p.warn").is_visible()  # the package does not know the year yet

    # The notice's ranges in one go: three holidays and a make-up working day.
    holidays = [
        ("元旦", "2027-01-01", "2027-01-03"),
        ("春节", "2027-02-06", "2027-02-12"),
        ("清明节", "2027-04-03", "2027-04-05"),
    ]
    page.fill("input[name=source]", "国办发明电〔2026〕1号")
    for index, (name, first, last) in enumerate(holidays):
        page.fill(f"input[name=holidays-{index}-name]", name)
        page.fill(f"input[name=holidays-{index}-first]", first)
        page.fill(f"input[name=holidays-{index}-last]", last)
    page.fill("input[name=makeups-0-date]", "2027-02-20")
    page.fill("input[name=makeups-0-name]", "春节调休")
    page.click("[data-testid=preview]")
    page.wait_for_selector("[data-testid=calendar-preview]")
    assert page.locator('[data-date="2027-01-01"]').get_attribute("data-kind") == "holiday"
    assert page.locator('[data-date="2027-02-20"]').get_attribute("data-kind") == "makeup"
    screen(page, "calendar-2027-preview", data=("元旦", "春节", "清明节", "春节调休"))

    page.click("[data-testid=save]")
    page.wait_for_url("**/calendar/changes/*/")
    screen(page, "calendar-2027-saved", data=("元旦", "春节", "清明节", "春节调休"))

    # The case's handler opens the case: the promised date moved past New Year's Day and is final.
    staff_page = browser_pages.open("desktop", language)
    browser_login(staff_page, window_staff)
    staff_page.goto(staff_page.live_server_url + case.get_absolute_url())
    clock = staff_page.locator("p", has=staff_page.locator("strong", has_text="2027-01-12"))
    assert clock.count() >= 1, "the promised date is not 2027-01-12"
    # The history note names the old date too; the clock itself no longer says "provisional".
    assert staff_page.locator("span.tag", has_text=tr(staff_page, "暂定", "rovisional")).count() == 0
    screen(
        staff_page,
        "case-after-calendar",
        # The history's notes are stored in the language of whoever wrote them (the case was logged in Chinese).
        data=(
            "王小明",
            "企业开办",
            "营业执照申请书",
            "身份证明",
            "住所使用证明",
            window_staff.name,
            "登记",
            "材料齐全",
            "予以受理",
        ),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_centre_administrator_adds_a_window_prints_its_qr_code_and_adds_a_staff_account(
    browser_pages, language, centre, centre_admin, other_centre
):
    foreign_window = WindowFactory.create(centre=other_centre, code="X01", name="外中心窗口")
    foreign_staff = UserFactory.create(centre=other_centre, username="elsewhere", name="外中心人员")
    page = browser_pages.open("desktop", language)
    page.refused = []
    page.on("response", lambda r: page.refused.append(r.url) if r.status in (403, 404) else None)
    browser_login(page, centre_admin)
    data = (centre.name, "税务窗口", "李娜", "市场监管窗口")

    # A window, added in the admin.
    page.goto(page.live_server_url + "/admin/staff/window/add/")
    _assert_one_language(page, "admin-window-add", data=data)
    page.fill("input[name=code]", "C09")
    page.fill("input[name=name]", "税务窗口")
    page.select_option("select[name=centre]", label=centre.name)
    page.select_option("select[name=kind]", index=1)
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/staff/window/")
    window = Window.objects.get(centre=centre, code="C09")
    assert window.name == "税务窗口"
    _assert_one_language(page, "admin-window-list", data=data)

    # Its printable QR code, reached from the admin's list.
    row = page.locator("#result_list tr", has_text="税务窗口")
    row.locator("[data-testid=window-qr-link]").click()
    page.wait_for_url(f"**/windows/{window.pk}/qr/")
    image = page.locator("[data-testid=qr-image]")
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert "税务窗口" in page.inner_text(".qr-sheet")
    _assert_one_language(page, "window-qr", data=data)
    page.emulate_media(media="print")
    screen(page, "window-qr-print", data=data)
    page.emulate_media(media="screen")

    # A staff account, added in the admin: it belongs to the administrator's centre.
    page.goto(page.live_server_url + "/admin/staff/user/add/")
    _assert_one_language(page, "admin-user-add", data=data)
    page.fill("input[name=username]", "lina")
    page.fill("input[name=name]", "李娜")
    page.select_option("select[name=centre]", label=centre.name)
    page.fill("input[name=password1]", "Counter-2027-lina")
    page.fill("input[name=password2]", "Counter-2027-lina")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r".*/admin/staff/user/\d+/change/$"))
    added = User.objects.get(username="lina")
    assert added.centre == centre and added.name == "李娜"
    _assert_one_language(page, "admin-user-change", data=(*data, "lina"))

    # Another centre's rows, typed into the URL, are not found.
    for url in (
        f"/admin/staff/window/{foreign_window.pk}/change/",
        f"/admin/staff/user/{foreign_staff.pk}/change/",
    ):
        response = page.goto(page.live_server_url + url)
        assert response is not None and response.status == 404, url
        assert "外中心" not in page.inner_text("body")
        _assert_one_language(page, "admin-foreign-404")
    _forget_seen_refusals(page, expected=2)


def test_leader_deactivates_a_staff_member_with_open_cases_and_hands_them_over(
    browser_pages, leader, window_staff, other_window_staff
):
    case = _accepted_case(window_staff)
    assert case.handler == window_staff
    for language in ("zh-hans", "en"):
        page = browser_pages.open("desktop", language)
        browser_login(page, leader)
        page.goto(page.live_server_url + f"/people/{window_staff.pk}/")
        # After the Chinese pass the history rows hold what was handed over, named in Chinese (data).
        screen(
            page,
            "person-with-open-work",
            data=(window_staff.name, other_window_staff.name, "承办的办件", "调岗", "离岗交接"),
        )
        if language == "en":
            continue  # one hand-over only: the English pass looks at the page before it
        page.fill("input[name=note]", "调岗")
        page.click("button.btn-danger")
        # Refused while work is open: the work page lists it, ticked, with the reason why.
        page.wait_for_url(f"**/people/{window_staff.pk}/work/?then=deactivate")
        assert page.locator("[data-testid=deactivate-blocked]").is_visible()
        assert page.locator(f'input[name=items][value$=":{case.pk}"]').is_checked()
        screen(page, "person-work-blocked", data=(window_staff.name, other_window_staff.name, "王小明"))
        page.select_option("select[name=to_user]", label=str(other_window_staff))
        page.fill("input[name=reason]", "离岗交接")
        page.click("main form[method=post] button.btn")
        page.wait_for_selector("[data-testid=no-open-work]")
        page.click("button.btn-danger")
        page.wait_for_url(f"**/people/{window_staff.pk}/")
        assert "已停用" in page.inner_text("h1")
        screen(page, "person-deactivated", data=(window_staff.name, other_window_staff.name))

        page.goto(page.live_server_url + case.get_absolute_url())
        assert page.inner_text("[data-testid=handler]") == str(other_window_staff)
        screen(page, "case-new-handler", data=(other_window_staff.name, window_staff.name, "王小明"))

    window_staff.refresh_from_db()
    case.refresh_from_db()
    assert not window_staff.is_active
    assert case.handler == other_window_staff
    assert case.first_responder == window_staff  # first-inquiry responsibility stays


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_pages_and_the_admin_speak_only_the_sessions_language(
    browser_pages, language, window_staff, centre_admin, centre
):
    page = browser_pages.open("desktop", language)
    browser_login(page, window_staff)
    for url, status, name in (("/calendar/", 403, "error-403"), ("/no-such-page/", 404, "error-404")):
        response = page.goto(page.live_server_url + url)
        assert response is not None and response.status == status
        _assert_one_language(page, name)
        assert page.locator("h1").inner_text().strip()

    admin_page = browser_pages.open("desktop", language)
    browser_login(admin_page, centre_admin)
    data = (centre.name, "市场监管窗口", window_staff.name, centre_admin.name)
    for url in (
        "/admin/",
        "/admin/staff/window/",
        "/admin/staff/user/",
        f"/admin/staff/user/{window_staff.pk}/change/",
    ):
        admin_page.goto(admin_page.live_server_url + url)
        _assert_one_language(admin_page, "admin-" + url.strip("/").replace("/", "-"), data=data)
    # Last: the console reports a refused page a moment after its response, so the two asked for are
    # forgotten once every page of the test has loaded.
    _forget_seen_refusals(page, expected=2)


def _forget_seen_refusals(page, *, expected: int) -> None:
    """The browser logs each 403/404 answer as a console error; these were asked for and checked."""
    # Chromium may log one refused document twice, or late; the pages asked for are counted by the response
    # listener, and the end-of-test check then leaves this page's refusal lines alone.
    if hasattr(page, "refused"):
        assert len(page.refused) == expected, page.refused
    page.refusals_expected = True
