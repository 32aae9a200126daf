from __future__ import annotations

import pytest

from staff.models import Role
from tests.factories.staff import DepartmentFactory, UserFactory


@pytest.fixture
def department(centre):
    return DepartmentFactory(centre=centre, code="scjg", name="市场监管局")


@pytest.fixture
def other_department(centre):
    return DepartmentFactory(centre=centre, code="rsj", name="人力资源和社会保障局")


@pytest.fixture
def dept_liaison(centre, department):
    """The department's liaison: drafts its questions."""
    return UserFactory(centre=centre, department=department, username="kb-liaison", name="孙丽", roles=[Role.LIAISON])


@pytest.fixture
def dept_reviewer(centre, department):
    """A second liaison of the same department: reviews what the first wrote."""
    return UserFactory(centre=centre, department=department, username="kb-reviewer", name="钱峰", roles=[Role.LIAISON])


@pytest.fixture
def other_dept_liaison(centre, other_department):
    return UserFactory(
        centre=centre, department=other_department, username="kb-liaison2", name="郑洁", roles=[Role.LIAISON]
    )
