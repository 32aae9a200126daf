"""A real browser logs in and sees the role's home page, in both languages."""

from __future__ import annotations

import pytest

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


def test_leader_on_a_phone_opens_the_menu(phone_page, leader):
    browser_login(phone_page, leader)
    phone_page.wait_for_selector("[data-testid=home-heading]")
    assert not phone_page.is_visible("#mainnav")
    phone_page.click("[data-toggle-nav]")
    assert phone_page.is_visible("#mainnav")


def test_wrong_password_shows_a_clear_error(page, window_staff):
    browser_login(page, window_staff, password="wrong")
    assert "用户名或密码不正确" in page.inner_text("[role=alert]")
