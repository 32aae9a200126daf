from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from staff.models import Role
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


@pytest.fixture
def responsible(window_staff):
    """The responsible person (责任人) of the problems below."""
    return window_staff


@pytest.fixture
def responsible_leader(centre):
    """The problems' responsible leader (责任领导): a second leader, so that `leader` may verify close-outs."""
    return UserFactory(centre=centre, username="deputy", name="何平", roles=[Role.LEADER])


@pytest.fixture
def problem(centre, responsible_leader, responsible):
    problem = ProblemFactory(centre=centre, responsible_leader=responsible_leader, responsible_person=responsible)
    MeasureFactory(problem=problem, owner=responsible)
    return problem


@pytest.fixture
def pdf():
    def make(name: str = "evidence.pdf") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")

    return make
