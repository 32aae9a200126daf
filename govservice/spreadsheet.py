"""The one reader of uploaded spreadsheets (.xlsx and .csv), with hard caps checked before any work.

Every import (channel batches, the ledger, the knowledge base, and any later one) reads its file here.
Caps (govservice/settings.py, IMPORT_*): file size; for .xlsx the archive's members, their total
uncompressed size and each member's compression ratio (zip bombs), read from the central directory
through `zipfile`; then every row — blank ones included — and every cell of every row.

An .xlsx is checked twice. First every member is streamed through expat with a handler that only counts
(rows, the highest row number, cells per row, the highest column, characters per text node) and refuses
any DTD: constant memory, and it fails at the first row past the cap, before openpyxl builds anything.
Then openpyxl (read-only) streams the first sheet and the same caps are counted again on what it yields
(the blank rows it makes up for gaps between row numbers included).
A member is never read past its declared size: zipfile stops there and checks the CRC.

The probe that started this: 8 million blank rows in a 1.1 MB .xlsx held a worker for 6 minutes, because
the old readers skipped blank rows before counting.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .exceptions import DomainError

# Members of an .xlsx archive: a workbook has a dozen, a few dozen with images.
MAX_ARCHIVE_MEMBERS = 1000
# Members up to this size are not held to the ratio cap: tiny repetitive XML compresses very well and
# cannot hurt.
RATIO_EXEMPT_BYTES = 1024 * 1024
CHUNK = 64 * 1024
FORMATS = ("xlsx", "csv")

_CELL_REF = re.compile(r"([A-Za-z]{1,3})(\d+)$")


class SpreadsheetRefused(DomainError):
    """The file is not read: unreadable, or over one of the caps. The message says which and where."""

    code = "spreadsheet_refused"
    default_message = gettext_lazy("无法读取文件：请上传 .xlsx 或 .csv 文件。")


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_file_bytes: int
    max_uncompressed_bytes: int
    max_compression_ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            max_cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            max_file_bytes=settings.IMPORT_MAX_FILE_BYTES,
            max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
        )


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet shows it: 1 is the first line of the file
    values: tuple[Any, ...]


@dataclass
class Sheet:
    """The non-blank rows of the first sheet, each with its own row number; `total_rows` counts every row."""

    rows: list[Row] = field(default_factory=list)
    total_rows: int = 0


def file_size_message(limits: Limits) -> str:
    return _("文件过大（上限 %(mb)s MB）。") % {"mb": _megabytes(limits.max_file_bytes)}


def check_upload(name: str, size: int, *, formats: Iterable[str] = FORMATS, limits: Limits | None = None) -> None:
    """What a web request may check of an upload without opening it: its name and size."""
    limits = limits or Limits.from_settings()
    if _format_of(name, formats) is None:
        raise SpreadsheetRefused(_unsupported_message(formats), field="file")
    if size > limits.max_file_bytes:
        raise SpreadsheetRefused(file_size_message(limits), field="file")


def read_sheet(file: IO[bytes], *, name: str, formats: Iterable[str] = FORMATS, limits: Limits | None = None) -> Sheet:
    """Read the first sheet of an .xlsx, or a .csv (UTF-8 or GB18030), within the caps; else SpreadsheetRefused."""
    limits = limits or Limits.from_settings()
    kind = _format_of(name, formats)
    if kind is None:
        raise SpreadsheetRefused(_unsupported_message(formats))
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    if size > limits.max_file_bytes:
        raise SpreadsheetRefused(file_size_message(limits))
    counter = _Counter(limits)
    values = _xlsx_values(file, limits, counter) if kind == "xlsx" else _csv_values(file, limits)
    sheet = Sheet()
    try:
        for number, row in enumerate(values, start=1):
            counter.row(number, row)
            if any(v is not None and str(v).strip() != "" for v in row):
                sheet.rows.append(Row(number, tuple(row)))
            sheet.total_rows = number
    finally:
        values.close()  # at once, not when collected: it closes the workbook
    return sheet


# --- the caps, counted ---------------------------------------------------------------------


class _Counter:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def rows_over(self) -> SpreadsheetRefused:
        return SpreadsheetRefused(_("行数超过上限 %(max)d（空行也计算在内）。") % {"max": self.limits.max_rows})

    def columns_over(self, number: int) -> SpreadsheetRefused:
        return SpreadsheetRefused(
            _("第 %(row)d 行的列数超过上限 %(max)d。") % {"row": number, "max": self.limits.max_columns}
        )

    def cell_over(self, number: int | None) -> SpreadsheetRefused:
        if number is None:
            return SpreadsheetRefused(_("有单元格超过 %(max)d 个字符。") % {"max": self.limits.max_cell_chars})
        return SpreadsheetRefused(
            _("第 %(row)d 行有单元格超过 %(max)d 个字符。") % {"row": number, "max": self.limits.max_cell_chars}
        )

    def row(self, number: int, values: tuple[Any, ...] | list[Any]) -> None:
        if number > self.limits.max_rows:
            raise self.rows_over()
        if len(values) > self.limits.max_columns:
            raise self.columns_over(number)
        for value in values:
            if isinstance(value, str) and len(value) > self.limits.max_cell_chars:
                raise self.cell_over(number)


# --- .xlsx ---------------------------------------------------------------------------------


def _xlsx_values(file: IO[bytes], limits: Limits, counter: _Counter) -> Generator[tuple[Any, ...]]:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SpreadsheetRefused(_("无法读取文件：不是有效的 .xlsx 文件。")) from exc
    with archive:
        _check_archive(archive, limits)
        for info in archive.infolist():
            _scan_member(archive, info, counter)
    file.seek(0)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for a broken file
        raise SpreadsheetRefused(_("无法读取文件：不是有效的 .xlsx 文件。")) from exc
    try:
        if not workbook.worksheets:
            return
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            # openpyxl pads each row to the sheet's declared width; the padding is no cell of the file.
            end = len(values)
            while end and values[end - 1] is None:
                end -= 1
            yield values[:end]
    except SpreadsheetRefused:
        raise
    except Exception as exc:
        raise SpreadsheetRefused(_("无法读取文件：不是有效的 .xlsx 文件。")) from exc
    finally:
        workbook.close()


def _check_archive(archive: zipfile.ZipFile, limits: Limits) -> None:
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise SpreadsheetRefused(_("文件结构异常（压缩包内文件过多），已拒绝。"))
    bomb = SpreadsheetRefused(
        _("文件解压后过大（上限 %(mb)s MB），疑似压缩炸弹，已拒绝。")
        % {"mb": _megabytes(limits.max_uncompressed_bytes)}
    )
    if sum(info.file_size for info in members) > limits.max_uncompressed_bytes:
        raise bomb
    for info in members:
        if info.file_size > RATIO_EXEMPT_BYTES and info.file_size > limits.max_compression_ratio * max(
            info.compress_size, 1
        ):
            raise SpreadsheetRefused(
                _("文件压缩比异常（超过 %(ratio)d 倍），疑似压缩炸弹，已拒绝。")
                % {"ratio": limits.max_compression_ratio}
            )


class _Refused(Exception):
    """Raised inside expat's callbacks; carries the SpreadsheetRefused out of the parser."""

    def __init__(self, refusal: SpreadsheetRefused) -> None:
        self.refusal = refusal


def _scan_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, counter: _Counter) -> None:
    """Count rows, cells and text of one member without building anything. A non-XML member is skipped."""
    limits = counter.limits
    parser = expat.ParserCreate()
    state = {"elements": 0, "rows": 0, "cells": 0, "text": 0, "in_text": False}

    def doctype(*_args: Any) -> None:
        # No workbook part needs a DTD; entities are how XML bombs expand.
        raise _Refused(SpreadsheetRefused(_("文件结构异常（含 DTD），已拒绝。")))

    def start(tag: str, attrs: dict[str, str]) -> None:
        state["elements"] += 1
        local = tag.rpartition(":")[2]
        if local == "row":
            declared = attrs.get("r", "")
            number = int(declared) if declared.isdigit() else 0
            state["rows"] = max(state["rows"] + 1, number)
            state["cells"] = 0
            if state["rows"] > limits.max_rows:
                raise _Refused(counter.rows_over())
        elif local == "c":
            state["cells"] += 1
            column = state["cells"]
            match = _CELL_REF.match(attrs.get("r", ""))
            if match:
                column = max(column, _column_index(match.group(1)))
                state["rows"] = max(state["rows"], int(match.group(2)))
                if state["rows"] > limits.max_rows:
                    raise _Refused(counter.rows_over())
            if column > limits.max_columns:
                raise _Refused(counter.columns_over(state["rows"]))
        elif local in ("t", "v", "f"):
            state["in_text"] = True
            state["text"] = 0

    def end(tag: str) -> None:
        if tag.rpartition(":")[2] in ("t", "v", "f"):
            state["in_text"] = False

    def text(data: str) -> None:
        if state["in_text"]:
            state["text"] += len(data)
            if state["text"] > limits.max_cell_chars:
                raise _Refused(counter.cell_over(state["rows"] or None))

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Refused as refused:
        raise refused.refusal from None
    except expat.ExpatError as exc:
        if state["elements"]:  # XML that breaks off part-way is no workbook part
            raise SpreadsheetRefused(_("无法读取文件：不是有效的 .xlsx 文件。")) from exc
        return  # not XML at all (an image, a binary part): openpyxl reads none of those as a sheet
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise SpreadsheetRefused(_("无法读取文件：不是有效的 .xlsx 文件。")) from exc


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + (ord(letter) - ord("A") + 1)
    return index


# --- .csv ----------------------------------------------------------------------------------


def _csv_values(file: IO[bytes], limits: Limits) -> Generator[tuple[Any, ...]]:
    # Excel in China saves CSV as GB18030 (GBK) unless told otherwise: try UTF-8 over the whole file
    # first (an incremental decoder, constant memory), then GB18030.
    encoding = "utf-8-sig" if _decodes(file, "utf-8-sig") else "gb18030" if _decodes(file, "gb18030") else None
    if encoding is None:
        raise SpreadsheetRefused(_("无法读取文件：.csv 文件的编码应为 UTF-8 或 GB18030。"))
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    # The csv module's own field cap stops a runaway quote from reading the whole file as one cell.
    previous = csv.field_size_limit(limits.max_cell_chars + 1)
    try:
        for values in csv.reader(text):
            yield tuple(values)
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise SpreadsheetRefused(_("有单元格超过 %(max)d 个字符。") % {"max": limits.max_cell_chars}) from exc
        raise SpreadsheetRefused(_("无法读取文件：.csv 格式有误。")) from exc
    finally:
        csv.field_size_limit(previous)
        text.detach()


def _decodes(file: IO[bytes], encoding: str) -> bool:
    file.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := file.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# --- helpers -------------------------------------------------------------------------------


def _format_of(name: str, formats: Iterable[str]) -> str | None:
    suffix = name.lower().rpartition(".")[2]
    return suffix if suffix in tuple(formats) else None


def _unsupported_message(formats: Iterable[str]) -> str:
    if tuple(formats) == ("xlsx",):
        return _("无法读取文件：请上传 .xlsx 文件。")
    return _("无法读取文件：请上传 .xlsx 或 .csv 文件。")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"
