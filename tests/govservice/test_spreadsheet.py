"""The shared spreadsheet reader: every row and cell counted against the caps before any work."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from govservice.spreadsheet import Limits, SpreadsheetRefused, check_upload, read_sheet
from tests.factories.spreadsheets import SHEET, rewrite, xlsx, xlsx_with_blank_rows, xlsx_with_far_row

LIMITS = Limits(
    max_rows=50,
    max_columns=5,
    max_cell_chars=100,
    max_file_bytes=1024 * 1024,
    max_uncompressed_bytes=5 * 1024 * 1024,
    max_compression_ratio=100,
)


def read(content: bytes, name: str = "f.xlsx", limits: Limits = LIMITS):
    return read_sheet(io.BytesIO(content), name=name, limits=limits)


def test_blank_rows_count_against_the_row_cap():
    """The probe: blank rows were skipped before the cap was counted (8 million of them held a worker 6 min)."""
    content = xlsx_with_blank_rows([["工单编号", "诉求内容"], ["1", "x"]], blank=200)
    with pytest.raises(SpreadsheetRefused, match="行数超过上限 50"):
        read(content)


def test_a_far_away_row_counts_every_row_before_it():
    with pytest.raises(SpreadsheetRefused, match="行数超过上限 50"):
        read(xlsx_with_far_row([["a"]], number=1_000_000))


def test_a_wide_declared_dimension_is_not_taken_for_cells():
    """openpyxl pads every row to the declared width: padding is no cell of the file and counts for nothing."""
    content = rewrite(xlsx([["a"], ["b"]]), SHEET, lambda xml: xml.replace('ref="A1:A2"', 'ref="A1:ZZ2"'))
    assert [r.values for r in read(content).rows] == [("a",), ("b",)]


def test_csv_blank_lines_count_against_the_row_cap():
    with pytest.raises(SpreadsheetRefused, match="行数超过上限 50"):
        read(b"a,b\n" + b"\n" * 60, name="f.csv")


def test_too_many_columns_names_the_row():
    with pytest.raises(SpreadsheetRefused, match="第 2 行的列数超过上限 5"):
        read(xlsx([["a"], list(range(6))]))
    with pytest.raises(SpreadsheetRefused, match="第 1 行的列数超过上限 5"):
        read(b"1,2,3,4,5,6\n", name="f.csv")


def test_a_cell_past_the_length_cap_is_refused():
    with pytest.raises(SpreadsheetRefused, match="超过 100 个字符"):
        read(xlsx([["a"], ["x" * 101]]))
    with pytest.raises(SpreadsheetRefused, match="超过 100 个字符"):
        read(b"a\n" + b"x" * 101 + b"\n", name="f.csv")
    with pytest.raises(SpreadsheetRefused, match="超过 100 个字符"):
        read(b'a\n"' + b"x" * 5000, name="f.csv")  # a runaway quote is one huge cell, not the whole file


def test_a_file_past_the_size_cap_is_refused_before_it_is_opened():
    limits = Limits(**{**LIMITS.__dict__, "max_file_bytes": 100})
    with pytest.raises(SpreadsheetRefused, match="文件过大"):
        read(b"a\n" * 100, name="f.csv", limits=limits)
    with pytest.raises(SpreadsheetRefused, match="文件过大"):
        check_upload("f.xlsx", 101, limits=limits)
    with pytest.raises(SpreadsheetRefused, match=r"\.xlsx 或 \.csv"):
        check_upload("f.exe", 1, limits=limits)


def test_a_member_that_unpacks_far_beyond_its_size_is_a_zip_bomb():
    bomb = rewrite(xlsx([["a"]]), SHEET, lambda xml: xml, extra={"xl/bomb.xml": b"<a>" + b" " * 4_000_000 + b"</a>"})
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        info = archive.getinfo("xl/bomb.xml")
        assert info.file_size / info.compress_size > 100  # what the check reads: the central directory
    with pytest.raises(SpreadsheetRefused, match="压缩炸弹"):
        read(bomb)


def test_members_unpacking_past_the_total_cap_are_refused():
    limits = Limits(**{**LIMITS.__dict__, "max_uncompressed_bytes": 2000})
    with pytest.raises(SpreadsheetRefused, match="压缩炸弹"):
        read(xlsx([["a"]]), limits=limits)


def test_a_dtd_is_refused():
    content = rewrite(
        xlsx([["a"]]),
        SHEET,
        lambda xml: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + xml.split("?>", 1)[-1],
    )
    with pytest.raises(SpreadsheetRefused, match="DTD"):
        read(content)


def test_not_a_workbook_is_refused_with_a_message():
    with pytest.raises(SpreadsheetRefused, match="不是有效的 .xlsx"):
        read(b"not a zip")
    with pytest.raises(SpreadsheetRefused, match="编码"):
        read(b"\xff\xfe\xfa\x00\x81", name="f.csv")


def test_rows_keep_the_number_the_spreadsheet_shows_and_blank_ones_are_left_out():
    sheet = read(xlsx([["h1", "h2"], ["a", 1], [None, None], ["b", 2]]))
    assert [(r.number, r.values) for r in sheet.rows] == [(1, ("h1", "h2")), (2, ("a", 1)), (4, ("b", 2))]
    assert sheet.total_rows == 4
    csv_sheet = read("编号,内容\n1,窗口\n\n2,排队\n".encode("gb18030"), name="f.csv")
    assert [(r.number, r.values) for r in csv_sheet.rows] == [
        (1, ("编号", "内容")),
        (2, ("1", "窗口")),
        (4, ("2", "排队")),
    ]


def test_the_caps_come_from_the_settings(settings):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(SpreadsheetRefused, match="行数超过上限 3"):
        read_sheet(io.BytesIO(b"a\n\n\n\n"), name="f.csv")


@hypothesis_settings(max_examples=40, deadline=None)
@given(filled=st.lists(st.booleans(), max_size=80))
def test_a_file_is_refused_exactly_when_its_rows_blank_or_not_pass_the_cap(filled):
    content = "".join("x\n" if f else "\n" for f in filled).encode()
    if len(filled) > LIMITS.max_rows:
        with pytest.raises(SpreadsheetRefused):
            read(content, name="f.csv")
    else:
        sheet = read(content, name="f.csv")
        assert [r.number for r in sheet.rows] == [i + 1 for i, f in enumerate(filled) if f]
