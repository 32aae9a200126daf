"""A real browser logs in and sees the role's home page, in both languages."""

from __future__ import annotations

import pytest

from tests.browser.ui import untranslated_on
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_window_staff_logs_in_and_sees_their_home_page_in_chinese_then_english(page, window_staff):
    browser_login(page, window_staff)
    page.wait_for_selector("[data-testid=home-heading]")
    assert "您好" in page.inner_text("[data-testid=home-heading]")
    assert "窗口人员" in page.inner_text("[data-testid=home-roles]")

    page.click("button.lang-btn[value=en]")
    page.wait_for_selector("html[lang=en]")
    assert "Hello" in page.inner_text("[data-testid=home-heading]")
    assert "Window staff" in page.inner_text("[data-testid=home-roles]")


def test_leader_on_a_phone_opens_the_menu_and_switches_to_english(phone_page, leader):
    browser_login(phone_page, leader)
    phone_page.wait_for_selector("[data-testid=home-heading]")
    assert not phone_page.is_visible("#mainnav")
    phone_page.click("[data-toggle-nav]")
    assert phone_page.is_visible("#mainnav")
    assert phone_page.locator("#mainnav a", has_text="领导驾驶舱").is_visible()

    # The switcher sits in the top bar on a phone too, and the choice outlives the page.
    phone_page.click("button.lang-btn[value=en]")
    phone_page.wait_for_selector("html[lang=en]")
    phone_page.goto(phone_page.live_server_url + "/ledger/")
    assert phone_page.locator("html").get_attribute("lang") == "en"
    phone_page.click("[data-toggle-nav]")
    assert phone_page.locator("#mainnav a", has_text="Leaders' dashboard").is_visible()


def test_a_browser_that_asks_for_english_gets_english_without_choosing(browser_pages, window_staff):
    page = browser_pages.open("desktop", "en")  # Accept-Language: en-US
    page.goto(page.live_server_url + "/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("button.lang-btn[value=en]").get_attribute("aria-current") == "true"
    browser_login(page, window_staff)
    assert "Hello" in page.inner_text("[data-testid=home-heading]")


def test_the_browser_fixture_reports_console_errors_and_failures_of_new_tabs_too(browser_pages):
    """The check every browser test ends with: a console error in any tab of the context is caught."""
    page = browser_pages.open("phone", "en")
    page.goto(page.live_server_url + "/accounts/login/")
    page.evaluate("console.error('boom in the page')")
    with page.context.expect_page() as opened:
        page.evaluate("window.open('/accounts/login/')")
    tab = opened.value
    tab.wait_for_load_state("load")
    tab.evaluate("console.error('boom in the tab')")
    tab.goto(page.live_server_url + "/static/no-such-file.css")
    assert any("boom in the page" in p for p in page.problems)
    assert any("boom in the tab" in p for p in page.problems)
    assert any("404" in p for p in page.problems), page.problems
    page.problems.clear()  # seen: the fixture's own check at the end must pass


def test_wrong_password_shows_a_clear_error(page, window_staff):
    browser_login(page, window_staff, password="wrong")
    assert "用户名或密码不正确" in page.inner_text("[role=alert]")


def test_an_untranslated_label_on_an_english_page_is_found_and_data_is_not(browser_pages):
    page = browser_pages.open("phone", "en")
    page.goto(page.live_server_url + "/accounts/login/")
    assert untranslated_on(page) == []
    # A label left in Chinese (a catalogue's source string), next to data that merely contains one.
    page.evaluate(
        """() => {
          const p = document.createElement("p");
          p.innerHTML = "<b>登记办件</b> 渠道1 市场监管窗口";
          document.querySelector("main").append(p);
        }"""
    )
    assert untranslated_on(page) == ["登记办件"]
