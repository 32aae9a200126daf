from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories.rectification import MeasureFactory, ProblemFactory

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
def problem(centre, leader, responsible):
    problem = ProblemFactory(centre=centre, responsible_leader=leader, responsible_person=responsible)
    MeasureFactory(problem=problem, owner=responsible)
    return problem


@pytest.fixture
def pdf():
    def make(name: str = "evidence.pdf") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")

    return make
