from __future__ import annotations

from typing import Any

import pytest

from cases import services
from cases.models import Case
from tests.factories.cases import PHONE, VALID_RIC, matter_with_materials


@pytest.fixture
def matter(centre):
    return matter_with_materials(centre, code="QYKB001", promised_days=10, correction_days=5)


@pytest.fixture
def log_case(matter):
    """`log_case(actor, provided="all"|"core"|"none")` → a case in consultation."""

    def _log(actor, *, provided: str = "all", matter_type=None, **fields) -> Case:
        matter_type = matter_type or matter
        materials = matter_type.materials.all()
        ids = [m.id for m in materials if provided == "all" or (provided == "core" and m.is_core)]
        data: dict[str, Any] = {
            "applicant_kind": Case.ApplicantKind.PERSON,
            "applicant_name": "王小明",
            "applicant_phone": PHONE,
            "applicant_id_number": VALID_RIC,
        }
        data.update(fields)
        return services.case_create(actor=actor, matter_type_id=matter_type.id, provided_material_ids=ids, **data)

    return _log


@pytest.fixture
def deficient_case(window_staff, log_case):
    """A case accepted with its one non-core material deferred (awaiting correction)."""
    case = log_case(window_staff, provided="core")
    secondary = case.materials.get(is_core=False)
    return services.case_accept_with_deficiencies(
        case_id=case.id, actor=window_staff, deferred_material_ids=[secondary.id]
    )


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """A per-process cache: the shared file cache is cleared by other suites running at the same time."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cases"}}
    from django.core.cache import cache

    cache.clear()
