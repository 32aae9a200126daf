"""Every link of every demo role's menu opens (200), and the admin pages it leads to open too.

The people are those of `load_demo` (staff.demo: the two centres, their departments, windows
and the demo logins), so the walk sees what a visitor logging in with a demo account sees.
"""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from govservice.navigation import nav_items_for
from govservice.roles import group_name
from staff import demo
from staff.models import User

DEMO_LOGINS = [
    "city-staff01",
    "city-helper1",
    "city-liaison1",
    "city-leader1",
    "cityleader",
    "city-admin",
    "admin",
    "gxq-staff01",
    "gxq-admin",
]


@pytest.fixture
def demo_people(db):
    demo.load(demo.DemoContext(stdout=io.StringIO(), show_progress=False))


def _admin_pages(client: Client) -> list[str]:
    """The admin index's links for this user: each model's change list and, where offered, its add form."""
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    urls = []
    for app in response.context["app_list"]:
        for model in app["models"]:
            urls += [url for url in (model.get("admin_url"), model.get("add_url")) if url]
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_every_menu_link_of_a_demo_role_opens(demo_people, client, username):
    user = User.objects.get(username=username)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    urls = [item.url for item in nav_items_for(user)]
    assert urls, "a demo role with an empty menu"
    if reverse("admin:index") in urls:
        urls += _admin_pages(client)
    failures = {url: status for url in urls if (status := client.get(url).status_code) != 200}
    assert failures == {}


@pytest.mark.django_db
def test_the_centre_administrator_is_offered_the_reference_data_to_maintain(demo_people, client):
    client.force_login(User.objects.get(username="city-admin"), backend="django.contrib.auth.backends.ModelBackend")
    pages = _admin_pages(client)
    for name in [
        "staff_window",
        "staff_user",
        "cases_mattertype",
        "govservice_department",
        "govservice_workcalendarday",
        "complaints_channel",
        "intake_channelkey",
        "notifications_smstemplate",
        "notifications_smsmessage",
        "complaints_dutyslot",
        "knowledge_tag",
        "development_scoringscheme",
    ]:
        assert reverse(f"admin:{name}_changelist") in pages, name
    assert reverse("admin:auth_group_changelist") not in pages
    assert admin.site.is_registered(User)


@pytest.mark.django_db
def test_every_demo_person_is_in_exactly_the_groups_of_their_roles(demo_people):
    for user in User.objects.prefetch_related("roles", "groups"):
        assert {g.name for g in user.groups.all()} == {group_name(r.role) for r in user.roles.all()}, user.username
    assert User.objects.get(username="city-admin").has_perm("cases.change_mattertype")
