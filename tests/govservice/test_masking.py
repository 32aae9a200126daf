from __future__ import annotations

import logging

import pytest
from django.db import connection

from govservice.crypto import decrypt, encrypt, lookup_hash
from govservice.masking import MaskingLogFilter, mask_id_number, mask_name, mask_phone, scrub
from staff.models import User


def test_phone_keeps_first_three_and_last_four_digits():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"
    assert mask_phone("") == ""


def test_id_number_keeps_first_six_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_names_keep_the_surname():
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧阳**"


def test_scrub_masks_numbers_inside_free_text():
    text = "申请人 13812341234 身份证 11010519491231002X 已到窗口"
    assert scrub(text) == "申请人 138****1234 身份证 110105********002X 已到窗口"


def test_log_lines_never_carry_a_full_phone_or_id(caplog):
    logger = logging.getLogger("govservice.test")
    logger.addFilter(MaskingLogFilter())
    try:
        with caplog.at_level(logging.INFO, logger="govservice.test"):
            logger.info("called %s about %s", "13812341234", "11010519491231002X", extra={"phone": "13900001111"})
    finally:
        logger.filters.clear()
    record = caplog.records[-1]
    assert "13812341234" not in record.getMessage()
    assert "138****1234" in record.getMessage()
    assert "11010519491231002X" not in record.getMessage()
    assert record.phone == "139****1111"


def test_encryption_round_trips_and_is_randomised():
    token_a, token_b = encrypt("13812341234"), encrypt("13812341234")
    assert token_a != token_b
    assert decrypt(token_a) == "13812341234"
    assert lookup_hash("138 1234 1234") == lookup_hash("13812341234") != lookup_hash("13812341235")


@pytest.mark.django_db
def test_encrypted_column_never_holds_the_clear_value(centre):
    User.objects.create(username="u1", name="张伟", centre=centre, mobile="13812341234")
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM staff_user WHERE username = %s", ["u1"])
        stored = cursor.fetchone()[0]
    assert "13812341234" not in stored
    assert User.objects.get(username="u1").mobile == "13812341234"


def test_a_short_phone_keeps_at_most_its_last_four_digits_and_four_or_fewer_are_all_hidden():
    # The boundaries of the short branch: 5 digits show 4, 4 digits show none (a four-digit extension is not
    # shown whole), and the stars stand one for one for the hidden digits.
    assert mask_phone("12345") == "*2345"
    assert mask_phone("8613812") == "***3812"
    assert mask_phone("1234") == "****"
    assert mask_phone("12") == "**"
    assert mask_phone("no digits") == ""


def test_an_id_of_ten_characters_or_fewer_is_hidden_whole():
    # 6 kept + 4 kept would leave nothing masked in a 10-character value.
    assert mask_id_number("1101051949") == "**********"
    assert mask_id_number("11010519491") == "110105*9491"
    assert mask_id_number("  11010519491231002X ") == "110105********002X"
    assert mask_id_number(None) == ""


def test_a_name_keeps_one_character_of_a_three_character_name_and_an_empty_name_stays_empty():
    assert mask_name("诸葛亮") == "诸**"
    assert mask_name(" 王 ") == "王"
    assert mask_name("") == ""
    assert mask_name(None) == ""


def test_a_log_line_with_a_broken_format_string_is_kept_and_still_masked():
    record = logging.LogRecord(
        "govservice.test", logging.INFO, __file__, 1, "called 13812341234 about %s %s", ("x",), None
    )
    assert MaskingLogFilter().filter(record) is True
    assert record.msg == "called 138****1234 about %s %s"
    assert record.getMessage() == "called 138****1234 about %s %s"
