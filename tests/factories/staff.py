from __future__ import annotations

from datetime import date
from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from govservice.models import Centre, Department
from staff.models import PositionType, Role, User, Window
from staff.services import staff_role_grant

PASSWORD = "correct-horse-battery"  # noqa: S105
# Hash once: PBKDF2 per user would dominate the suite's run time.
_PASSWORD_HASH = make_password(PASSWORD, hasher="default")


class CentreFactory(factory.django.DjangoModelFactory[Centre]):
    class Meta:
        model = Centre
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"c{n}")
    name = factory.Sequence(lambda n: f"第{n}政务服务中心")
    tracking_prefix = factory.Sequence(lambda n: f"T{n}")
    level = Centre.Level.DISTRICT


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department

    centre = factory.SubFactory(CentreFactory)
    code = factory.Sequence(lambda n: f"d{n}")
    name = factory.Sequence(lambda n: f"部门{n}")


class WindowFactory(factory.django.DjangoModelFactory[Window]):
    class Meta:
        model = Window

    centre = factory.SubFactory(CentreFactory)
    department = factory.SubFactory(DepartmentFactory, centre=factory.SelfAttribute("..centre"))
    code = factory.Sequence(lambda n: f"W{n:02d}")
    name = factory.Sequence(lambda n: f"窗口{n}")
    kind = PositionType.PROFESSIONAL


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"人员{n}")
    password = _PASSWORD_HASH
    centre = factory.SubFactory(CentreFactory)
    started_on = date(2020, 1, 1)

    @factory.post_generation
    # factory_boy calls this with the built User, not the factory: hence `user`, not `self`
    def roles(user: User, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            # Through the service, as the application gives roles: the auth groups follow.
            for role in extracted:
                staff_role_grant(user=user, role=role)


def window_staff(**kwargs: Any) -> User:
    centre: Centre = kwargs.pop("centre", None) or CentreFactory.create()
    window: Window = kwargs.pop("window", None) or WindowFactory.create(centre=centre)
    return UserFactory.create(
        centre=centre,
        window=window,
        department=window.department,
        position_type=window.kind,
        roles=[Role.WINDOW_STAFF],
        **kwargs,
    )
