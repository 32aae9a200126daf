"""The Django admin for centre and city administrators: permission groups, centre scoping, accounts.

Personas: the city centre's administrator (`centre_admin`, as the demo's city-admin), the
other centre's (gxq) administrator, and a city administrator.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from complaints.models import Channel
from govservice.admin_scoping import scoping_of
from govservice.exceptions import NotPermitted
from govservice.models import Department
from govservice.roles import GROUP_PERMISSIONS, Role, group_name
from staff.models import User, Window
from staff.services import role_groups_after_migrate, staff_roles_set
from tests.admin_forms import form_data
from tests.conftest import login
from tests.factories.cases import MatterTypeFactory
from tests.factories.complaints import ChannelFactory
from tests.factories.staff import DepartmentFactory, UserFactory, WindowFactory

OUR_APPS = {
    "govservice",
    "staff",
    "cases",
    "complaints",
    "rectification",
    "notifications",
    "knowledge",
    "intake",
    "development",
}
# Lists that stay short whatever happens: they need no search box.
FEW_ROWS = {
    "complaints.FeedbackPolicy": "one row per centre",
    "complaints.OneRatingPolicy": "one row per centre",
    "complaints.EvaluationTag": "the national standard's few dozen tags",
}


@pytest.fixture
def gxq_admin(other_centre) -> User:
    return UserFactory.create(centre=other_centre, username="gxq-admin", is_staff=True, roles=[Role.CENTRE_ADMIN])


@pytest.fixture
def city_admin(centre) -> User:
    return UserFactory.create(centre=centre, username="city-administrator", is_staff=True, roles=[Role.CITY_ADMIN])


# --- the registry ----------------------------------------------------------------------------


def test_every_registered_admin_is_centre_scoped_or_says_why_not():
    unscoped = [model._meta.label for model, model_admin in admin.site._registry.items() if not scoping_of(model_admin)]
    assert unscoped == []


def test_every_list_that_can_grow_past_a_page_has_a_search_box():
    missing = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS and not model_admin.search_fields and model._meta.label not in FEW_ROWS
    ]
    assert missing == []


# --- roles are groups ------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_role_is_a_group_holding_exactly_its_permissions():
    for role, wanted in GROUP_PERMISSIONS.items():
        group = Group.objects.get(name=group_name(role))
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == wanted, role


@pytest.mark.django_db
def test_the_group_sync_is_safe_to_run_again_and_undoes_a_hand_edit(centre_admin):
    group = Group.objects.get(name=group_name(Role.CENTRE_ADMIN))
    group.permissions.clear()
    centre_admin.groups.clear()
    role_groups_after_migrate()
    role_groups_after_migrate()
    assert Group.objects.filter(name__startswith="role:").count() == len(Role)
    assert group.permissions.count() == len(GROUP_PERMISSIONS[Role.CENTRE_ADMIN])
    assert list(centre_admin.groups.values_list("name", flat=True)) == [group_name(Role.CENTRE_ADMIN)]


@pytest.mark.django_db
def test_a_users_groups_follow_the_roles_the_staff_service_sets(centre, centre_admin):
    person = UserFactory.create(centre=centre, roles=[Role.WINDOW_STAFF])
    assert set(person.groups.values_list("name", flat=True)) == {group_name(Role.WINDOW_STAFF)}
    staff_roles_set(user=person, roles=[Role.LIAISON, Role.MENTOR], actor=centre_admin)
    assert set(person.groups.values_list("name", flat=True)) == {group_name(Role.LIAISON), group_name(Role.MENTOR)}
    fresh = User.objects.get(pk=centre_admin.pk)
    assert fresh.has_perm("staff.change_window") and not fresh.has_perm("auth.change_group")


@pytest.mark.django_db
def test_a_centre_administrator_cannot_grant_a_city_wide_role(centre, centre_admin):
    person = UserFactory.create(centre=centre, roles=[Role.WINDOW_STAFF])
    with pytest.raises(NotPermitted):
        staff_roles_set(user=person, roles=[Role.CITY_ADMIN], actor=centre_admin)
    assert person.roles.get().role == Role.WINDOW_STAFF


# --- scoping by centre -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["centre_admin", "gxq_admin", "city_admin"])
def test_an_administrator_opens_every_change_list_and_add_form_offered(request, client, persona):
    login(client, request.getfixturevalue(persona))
    index = client.get(reverse("admin:index"))
    urls = [
        u for app in index.context["app_list"] for m in app["models"] for u in (m["admin_url"], m.get("add_url")) if u
    ]
    assert reverse("admin:staff_window_changelist") in urls
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)


@pytest.mark.django_db
def test_another_centres_objects_are_not_found(client, centre, gxq_admin, window_staff):
    department = DepartmentFactory.create(centre=centre)
    matter = MatterTypeFactory.create(centre=centre)
    login(client, gxq_admin)
    for url in [
        reverse("admin:staff_window_change", args=[window_staff.window_id]),
        reverse("admin:govservice_department_change", args=[department.pk]),
        reverse("admin:cases_mattertype_change", args=[matter.pk]),
        reverse("admin:staff_user_change", args=[window_staff.pk]),
        reverse("admin:auth_user_password_change", args=[window_staff.pk]),
        reverse("admin:govservice_centre_change", args=[centre.pk]),
    ]:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_a_change_list_shows_the_own_centres_rows_only(client, centre, other_centre, gxq_admin):
    WindowFactory.create(centre=centre, code="CITY1")
    WindowFactory.create(centre=other_centre, code="GXQ1")
    login(client, gxq_admin)
    rows = client.get(reverse("admin:staff_window_changelist")).context["cl"].result_list
    assert [w.code for w in rows] == ["GXQ1"]


@pytest.mark.django_db
def test_a_new_window_takes_the_administrators_centre_and_only_its_departments(client, centre, other_centre, gxq_admin):
    ours = DepartmentFactory.create(centre=other_centre, name="市场监管局")
    theirs = DepartmentFactory.create(centre=centre, name="市场监管局")
    login(client, gxq_admin)
    url = reverse("admin:staff_window_add")
    offered = client.get(url).context["adminform"].form.fields["department"].queryset
    assert list(offered) == [ours]
    data = {"code": "X1", "name": "新窗口", "kind": "professional", "is_active": "on"}
    refused = client.post(url, {**data, "centre": centre.pk, "department": theirs.pk})
    assert refused.status_code == 200 and "department" in refused.context["adminform"].form.errors
    assert not Window.objects.filter(code="X1").exists()
    client.post(url, {**data, "centre": other_centre.pk, "department": ours.pk})
    assert Window.objects.get(code="X1").centre == other_centre


@pytest.mark.django_db
def test_departments_are_offered_with_their_centre_to_a_city_administrator(client, centre, other_centre, city_admin):
    DepartmentFactory.create(centre=centre, name="市场监管局")
    DepartmentFactory.create(centre=other_centre, name="市场监管局")
    login(client, city_admin)
    field = client.get(reverse("admin:staff_window_add")).context["adminform"].form.fields["department"]
    labels = {label for value, label in field.choices if value}
    assert labels == {f"市场监管局（{other_centre.name}）", f"市场监管局（{centre.name}）"}


@pytest.mark.django_db
def test_saving_a_shared_channel_keeps_the_centres_out_of_reach(client, centre, other_centre, gxq_admin):
    channel = ChannelFactory.create(code="hotline", centres=[centre, other_centre])
    login(client, gxq_admin)
    url = reverse("admin:complaints_channel_change", args=[channel.pk])
    response = client.post(url, form_data(client, url, name="12345 热线"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    channel.refresh_from_db()
    assert channel.name == "12345 热线"
    assert set(channel.centres.all()) == {centre, other_centre}
    assert LogEntry.objects.filter(object_id=str(channel.pk), user=gxq_admin).exists()
    assert Channel.objects.filter(centres=centre).exists()


# --- accounts --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_centre_administrator_never_reaches_a_superuser_or_a_city_wide_account(
    client, centre_admin, admin, city_leader
):
    login(client, centre_admin)
    for person in (admin, city_leader):
        assert client.get(reverse("admin:staff_user_change", args=[person.pk])).status_code == 404


@pytest.mark.django_db
def test_a_centre_administrator_cannot_make_a_superuser_or_grant_roles_beyond_their_own(
    client, centre_admin, window_staff
):
    login(client, centre_admin)
    url = reverse("admin:staff_user_change", args=[window_staff.pk])
    page = client.get(url)
    fields = page.context["adminform"].form.fields
    assert "is_superuser" not in fields and "groups" not in fields and "user_permissions" not in fields
    role_field = page.context["inline_admin_formsets"][0].formset.empty_form.fields["role"]
    offered = {value for value, _label in role_field.choices if value}
    assert Role.CITY_ADMIN not in offered and Role.CITY_LEADER not in offered and Role.LEADER in offered
    data = form_data(client, url, is_superuser="on", **{"roles-0-role": Role.CITY_ADMIN})
    data["roles-TOTAL_FORMS"] = 2
    client.post(url, data)
    window_staff.refresh_from_db()
    assert not window_staff.is_superuser
    assert set(window_staff.roles.values_list("role", flat=True)) == {Role.WINDOW_STAFF}


@pytest.mark.django_db
def test_a_role_given_in_the_admin_puts_the_person_in_its_group(client, centre_admin, window_staff):
    login(client, centre_admin)
    url = reverse("admin:staff_user_change", args=[window_staff.pk])
    data = form_data(client, url, **{"roles-1-role": Role.MENTOR, "roles-1-user": window_staff.pk})
    data["roles-TOTAL_FORMS"] = 2
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert set(window_staff.groups.values_list("name", flat=True)) == {
        group_name(Role.WINDOW_STAFF),
        group_name(Role.MENTOR),
    }


@pytest.mark.django_db
def test_department_choices_are_scoped_for_staff_accounts_too(client, centre, other_centre, gxq_admin):
    DepartmentFactory.create(centre=centre)
    ours = DepartmentFactory.create(centre=other_centre)
    person = UserFactory.create(centre=other_centre, roles=[Role.LIAISON])
    login(client, gxq_admin)
    field = client.get(reverse("admin:staff_user_change", args=[person.pk])).context["adminform"].form.fields
    assert list(field["department"].queryset) == [ours]
    assert list(Department.objects.filter(centre=other_centre)) == [ours]
