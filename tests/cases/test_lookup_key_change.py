"""The bad-record check (容缺受理 barred after a broken commitment) finds the record under any lookup key,
and the applicant's numbers are one value in any spelling (issue 14)."""

from __future__ import annotations

import pytest

from cases import services
from cases.models import ApplicantRecord
from govservice.crypto import lookup_hash, lookup_hashes
from govservice.exceptions import NotPermitted
from tests.factories.cases import VALID_RIC

pytestmark = pytest.mark.django_db


def test_a_broken_commitment_recorded_before_a_key_change_still_bars_acceptance_with_deficiencies(
    settings, window_staff, centre, log_case
):
    settings.FIELD_ENCRYPTION_KEY = "enc-old"
    settings.FIELD_LOOKUP_KEY = ""
    ApplicantRecord.objects.create(
        centre=centre, id_hash=lookup_hash(VALID_RIC), id_masked="110105********002X", kind="broken"
    )
    settings.FIELD_ENCRYPTION_KEY = "enc-new,enc-old"
    # Typed with spaces and a lower-case x at the window after the change: still the same applicant.
    case = log_case(window_staff, provided="core", applicant_id_number="110105 19491231 002x")
    with pytest.raises(NotPermitted):
        services.case_accept_with_deficiencies(
            case_id=case.id, actor=window_staff, deferred_material_ids=[case.materials.get(is_core=False).id]
        )


def test_the_applicants_numbers_are_stored_in_one_spelling_whatever_was_typed(window_staff, log_case):
    case = log_case(
        window_staff,
        applicant_phone="＋86 １３８-１２３４.１２３４",  # noqa: RUF001 - full-width on purpose
        applicant_id_number="１１０１０５ １９４９１２３１ ００２ｘ",  # noqa: RUF001
    )
    case.refresh_from_db()
    assert (case.applicant_phone, case.applicant_id_number) == ("13812341234", VALID_RIC)
    assert case.applicant_phone_hash == lookup_hash("13812341234") == lookup_hashes("138 1234 1234")[0]
