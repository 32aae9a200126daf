"""Login, lock-out, role home pages and centre scoping."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from staff.models import Role, User
from staff.selectors import get_in_scope, scope_to_user, staff_list_for, window_list_for
from tests.factories.staff import WindowFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_member_logs_in_with_the_password_and_sees_the_home_page(client, window_staff, password):
    response = client.post(reverse("login"), {"username": "staff", "password": password}, follow=True)
    assert response.status_code == 200
    assert response.context["user"] == window_staff
    assert "窗口人员" in response.content.decode()


def test_sixth_failed_login_locks_the_account_even_with_the_right_password(client, window_staff, password):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "staff", "password": "wrong"})
        assert response.status_code == 200  # the form again, not locked yet
    response = client.post(reverse("login"), {"username": "staff", "password": "wrong"})
    assert response.status_code == 429
    response = client.post(reverse("login"), {"username": "staff", "password": password})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lock_out_is_per_account_so_colleagues_behind_one_address_still_log_in(
    client, window_staff, other_window_staff, password
):
    for _ in range(6):
        client.post(reverse("login"), {"username": "staff", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "staff2", "password": password})
    assert response.status_code == 302


def test_logout_needs_a_post_and_ends_the_session(as_user, window_staff):
    client = as_user(window_staff)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_home_page_is_in_english_when_the_language_is_switched(as_user, leader):
    client = as_user(leader)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("home")).content.decode()
    assert "Centre leader" in body
    assert "Hello" in body


def test_admin_link_shows_for_administrators_only(as_user, window_staff, centre_admin):
    assert reverse("admin:index") not in as_user(window_staff).get(reverse("home")).content.decode()
    assert reverse("admin:index") in as_user(centre_admin).get(reverse("home")).content.decode()


def test_scope_keeps_a_centre_member_in_their_own_centre(window_staff, foreign_staff):
    visible = scope_to_user(User.objects.all(), window_staff)
    assert window_staff in visible
    assert foreign_staff not in visible


def test_another_centres_record_looks_like_not_found(window_staff, foreign_staff):
    with pytest.raises(Http404):
        get_in_scope(User.objects.all(), window_staff, pk=foreign_staff.pk)


def test_city_wide_roles_see_every_centre(city_leader, window_staff, foreign_staff):
    visible = set(staff_list_for(user=city_leader))
    assert {window_staff, foreign_staff} <= visible


def test_a_person_without_a_centre_sees_nothing(centre):
    orphan = User.objects.create(username="orphan", name="无中心")
    WindowFactory(centre=centre)
    assert not window_list_for(user=orphan).exists()


def test_inactive_users_see_nothing(window_staff):
    window_staff.is_active = False
    assert not scope_to_user(User.objects.all(), window_staff).exists()


def test_roles_are_read_once_per_request(window_staff, django_assert_num_queries):
    user = User.objects.get(pk=window_staff.pk)
    with django_assert_num_queries(1):
        assert user.has_role(Role.WINDOW_STAFF)
        assert not user.has_role(Role.LEADER)
        assert not user.is_city_wide
