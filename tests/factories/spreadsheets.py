"""Spreadsheet files for import tests, including the hostile ones (blank-row floods, zip bombs)."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite(content: bytes, member: str, change, extra: dict[str, bytes] | None = None) -> bytes:
    """The same .xlsx with one member's text changed (and members added), deflated as Excel does."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = change(data.decode()).encode()
            target.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def xlsx_with_blank_rows(rows: list[list[object]], blank: int) -> bytes:
    """The probed attack, small: a few real rows, then `blank` empty <row/> elements (8 million took 1.1 MB)."""
    start = len(rows) + 1

    def add_blank_rows(xml: str) -> str:
        blanks = "".join(f'<row r="{n}"/>' for n in range(start, start + blank))
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', "", xml)  # no dimension: the rows alone say how many
        return xml.replace("</sheetData>", blanks + "</sheetData>")

    return rewrite(xlsx(rows), SHEET, add_blank_rows)


def xlsx_with_far_row(rows: list[list[object]], number: int) -> bytes:
    """One cell far down the sheet: the rows in between are blank, and openpyxl yields every one of them."""

    def add_far_row(xml: str) -> str:
        far = f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>x</t></is></c></row>'
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', "", xml)
        return xml.replace("</sheetData>", far + "</sheetData>")

    return rewrite(xlsx(rows), SHEET, add_far_row)
