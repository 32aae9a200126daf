"""Unticking "active" on the admin's account form is leaving: it goes through the same open-work check as
the people pages (staff.services.staff_deactivate), and the history says who did it.

Before, the admin saved is_active=False directly: a person who still owned cases was switched off and
their work stayed with nobody."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms import MultiWidget

from cases import services as case_services
from cases.models import Case
from staff.models import StaffEvent, User
from tests.factories.cases import PHONE, VALID_RIC, matter_with_materials

pytestmark = pytest.mark.django_db


def _form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """What the change page would post back untouched, with `changes` applied."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or name in ("password", "photo"):
            continue
        widget = field.widget
        if isinstance(widget, MultiWidget):  # the admin's split date and time
            for index, part in enumerate(widget.decompress(value) or []):
                if part is not None:
                    data[f"{name}_{index}"] = str(part)
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for each in formset.forms:
            for name in each.fields:
                value = each[name].value()
                if value not in (None, False):
                    data[each.add_prefix(name)] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _untick_active(client: Any, person: User) -> Any:
    url = f"/admin/staff/user/{person.id}/change/"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, _form_data(page, is_active=False, name=f"{person.name}改"))


def _give_a_case(person: User) -> Case:
    matter = matter_with_materials(person.centre, code="ADM001")
    return case_services.case_create(
        actor=person,
        matter_type_id=matter.id,
        provided_material_ids=[m.id for m in matter.materials.all()],
        applicant_kind=Case.ApplicantKind.PERSON,
        applicant_name="王小明",
        applicant_phone=PHONE,
        applicant_id_number=VALID_RIC,
    )


def test_unticking_active_for_someone_with_open_work_is_refused_next_to_the_field(as_user, centre_admin, window_staff):
    _give_a_case(window_staff)
    response = _untick_active(as_user(centre_admin), window_staff)
    assert response.status_code == 200  # the form comes back, nothing saved
    errors = response.context["adminform"].form.errors
    assert "is_active" in errors
    page = response.content.decode()
    assert f'href="/people/{window_staff.id}/work/?then=deactivate"' in page
    assert "未办结的工作" in page
    window_staff.refresh_from_db()
    assert window_staff.is_active and window_staff.name == "张伟"
    assert not StaffEvent.objects.filter(user=window_staff, kind=StaffEvent.Kind.DEACTIVATED).exists()


def test_the_refusal_speaks_english(as_user, centre_admin, window_staff):
    _give_a_case(window_staff)
    client = as_user(centre_admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = _untick_active(client, window_staff)
    assert "open work" in response.content.decode()


def test_unticking_active_for_someone_without_open_work_deactivates_and_records_who(
    as_user, centre_admin, other_window_staff
):
    response = _untick_active(as_user(centre_admin), other_window_staff)
    assert response.status_code == 302, response.context["adminform"].form.errors
    other_window_staff.refresh_from_db()
    assert not other_window_staff.is_active
    assert other_window_staff.name.endswith("改")  # the rest of the form saved too
    event = StaffEvent.objects.get(user=other_window_staff, kind=StaffEvent.Kind.DEACTIVATED)
    assert event.actor == centre_admin


def test_an_administrator_cannot_untick_their_own_account(as_user, centre_admin):
    response = _untick_active(as_user(centre_admin), centre_admin)
    assert response.status_code == 200 and "is_active" in response.context["adminform"].form.errors
    centre_admin.refresh_from_db()
    assert centre_admin.is_active
