"""load_demo is for development: it refuses a production configuration, and never leaves the printed password."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from staff import demo
from staff.management.commands import load_demo
from staff.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_demo_only(monkeypatch):
    """The command over staff's demo alone: the accounts are what this file is about, the rest is slow."""
    monkeypatch.setattr(load_demo.apps, "get_app_configs", lambda: [apps.get_app_config("staff")])


def test_load_demo_refuses_when_debug_is_off(settings, staff_demo_only):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("load_demo", "--quiet-progress", stdout=io.StringIO())
    assert not User.objects.exists()


def test_with_debug_on_the_demo_logins_share_the_printed_password(settings, staff_demo_only):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("load_demo", "--quiet-progress", stdout=out)
    assert demo.DEMO_PASSWORD in out.getvalue()
    assert User.objects.get(username="admin").check_password(demo.DEMO_PASSWORD)


def test_allowed_in_production_no_account_has_the_printed_password_and_logins_get_their_own(settings, staff_demo_only):
    settings.DEBUG = False
    out, err = io.StringIO(), io.StringIO()
    call_command("load_demo", "--quiet-progress", "--allow-production", stdout=out, stderr=err)
    assert "WARNING" in err.getvalue()
    assert demo.DEMO_PASSWORD not in out.getvalue()
    users = list(User.objects.all())
    assert len(users) > 60
    assert not any(user.check_password(demo.DEMO_PASSWORD) for user in users)
    admin = User.objects.get(username="admin")
    printed = next(line for line in out.getvalue().splitlines() if line.strip().startswith("admin "))
    password = printed.split()[1]
    assert admin.check_password(password)
    assert not User.objects.get(username="city-staff02").has_usable_password()

    # A second run creates nothing and resets nobody's password.
    again = io.StringIO()
    call_command("load_demo", "--quiet-progress", "--allow-production", stdout=again, stderr=io.StringIO())
    assert password not in again.getvalue()
    admin.refresh_from_db()
    assert admin.check_password(password)


def test_the_staff_demo_called_directly_outside_debug_leaves_no_usable_password(settings):
    settings.DEBUG = False
    demo.load(demo.DemoContext(stdout=io.StringIO(), show_progress=False))
    assert User.objects.exists()
    assert not any(user.has_usable_password() for user in User.objects.all())
