"""Shared fixtures: named personas in two centres, a work calendar, Celery in-process.

Personas (STYLE.md): `centre` and `other_centre`; `window_staff` and
`other_window_staff` in the first centre; `foreign_staff` in the other centre;
`helper`, `mentor`, `liaison`, `leader`, `city_leader`, `centre_admin`, `admin`.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from govservice.celery import app as celery_app
from staff.models import Role, User
from tests.factories.staff import PASSWORD, CentreFactory, UserFactory, WindowFactory, window_staff as make_window_staff


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Tasks run in-process in tests; tests of the real broker opt out explicitly."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def centre():
    return CentreFactory(code="city", name="市政务服务中心", tracking_prefix="GS", level="city")


@pytest.fixture
def other_centre():
    return CentreFactory(code="gxq", name="高新区政务服务中心", tracking_prefix="GX")


@pytest.fixture
def window(centre):
    return WindowFactory(centre=centre, code="B01", name="市场监管窗口")


@pytest.fixture
def window_staff(centre, window) -> User:
    return make_window_staff(centre=centre, window=window, username="staff", name="张伟")


@pytest.fixture
def other_window_staff(centre) -> User:
    return make_window_staff(centre=centre, username="staff2", name="李娜")


@pytest.fixture
def foreign_staff(other_centre) -> User:
    return make_window_staff(centre=other_centre, username="foreign", name="王强")


@pytest.fixture
def helper(centre) -> User:
    return UserFactory(centre=centre, username="helper", name="赵敏", roles=[Role.HELPER])


@pytest.fixture
def mentor(centre, window) -> User:
    return UserFactory(centre=centre, window=window, username="mentor", name="陈静", roles=[Role.MENTOR, Role.WINDOW_STAFF])


@pytest.fixture
def liaison(centre) -> User:
    return UserFactory(centre=centre, username="liaison", name="杨洋", roles=[Role.LIAISON])


@pytest.fixture
def leader(centre) -> User:
    return UserFactory(centre=centre, username="leader", name="刘军", roles=[Role.LEADER])


@pytest.fixture
def other_leader(other_centre) -> User:
    return UserFactory(centre=other_centre, username="leader2", name="黄磊", roles=[Role.LEADER])


@pytest.fixture
def city_leader(centre) -> User:
    return UserFactory(centre=centre, username="cityleader", name="周建国", roles=[Role.CITY_LEADER])


@pytest.fixture
def centre_admin(centre) -> User:
    return UserFactory(centre=centre, username="centreadmin", name="吴涛", is_staff=True, roles=[Role.CENTRE_ADMIN])


@pytest.fixture
def admin(centre) -> User:
    return UserFactory(
        centre=centre, username="admin", name="管理员", is_staff=True, is_superuser=True, roles=[Role.CITY_ADMIN]
    )


@pytest.fixture
def password() -> str:
    return PASSWORD


def login(client: Client, user: User) -> Client:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def as_user(client):
    """`as_user(persona)` → a test client logged in as that persona."""

    def _as(user: User) -> Client:
        return login(client, user)

    return _as
