"""Excel import and export of the matter catalogue (事项目录), one row per material.

Import validates every row first and writes nothing unless all rows are valid,
so a half-imported catalogue never exists; errors name the row and the column.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from govservice.models import Centre
from govservice.selectors import departments_of

from .models import Material, MatterType

HEADERS = [
    "事项编码",
    "事项名称",
    "部门编码",
    "承诺时限(工作日)",
    "法定时限(工作日)",
    "补正时限(工作日)",
    "材料名称",
    "主要材料(是/否)",
]
YES = {"是", "y", "yes", "true", "1", "主要"}
NO = {"否", "n", "no", "false", "0", "次要", ""}


def catalogue_export(*, centre: Centre) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "事项目录"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    matter_types = MatterType.objects.filter(centre=centre).select_related("department").prefetch_related("materials")
    for matter in matter_types.order_by("code"):
        base = [
            matter.code,
            matter.name,
            matter.department.code if matter.department else "",
            matter.promised_days,
            matter.statutory_days,
            matter.correction_days,
        ]
        materials = list(matter.materials.all())
        if not materials:
            sheet.append([*base, "", ""])
        for material in materials:
            sheet.append([*base, material.name, "是" if material.is_core else "否"])
    for column, width in zip("ABCDEFGH", (14, 28, 10, 10, 10, 10, 36, 10), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass
class ImportResult:
    errors: list[str] = field(default_factory=list)
    matter_types: int = 0
    materials: int = 0


def _int(value: object, *, row: int, column: str, errors: list[str], required: bool = True) -> int | None:
    if value in (None, ""):
        if required:
            errors.append(_("第 %(row)s 行“%(col)s”不能为空。") % {"row": row, "col": column})
        return None
    try:
        number = int(str(value).strip().split(".")[0])
    except ValueError:
        errors.append(_("第 %(row)s 行“%(col)s”须为整数。") % {"row": row, "col": column})
        return None
    if number < 1 or number > 3650:
        errors.append(_("第 %(row)s 行“%(col)s”超出范围。") % {"row": row, "col": column})
        return None
    return number


def catalogue_import(*, centre: Centre, data: bytes) -> ImportResult:
    """Create or update matter types and their materials from an export-shaped workbook."""
    result = ImportResult()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a file that is not a workbook
        result.errors.append(_("无法读取文件，请上传 .xlsx 格式的 Excel 文件。"))
        return result
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    if not rows or [str(c or "").strip() for c in rows[0][: len(HEADERS)]] != HEADERS:
        result.errors.append(_("表头不符，请使用导出的模板：%(headers)s") % {"headers": "、".join(HEADERS)})
        return result
    departments = {d.code: d for d in departments_of(centre=centre)}
    matters: dict[str, dict] = {}
    for number, raw in enumerate(rows[1:], start=2):
        values = [("" if v is None else v) for v in (*raw, *[""] * len(HEADERS))][: len(HEADERS)]
        if all(str(v).strip() == "" for v in values):
            continue
        code, name, dept, promised, statutory, correction, material, core = (
            str(v).strip() if i not in (3, 4, 5) else v for i, v in enumerate(values)
        )
        errors = result.errors
        if not code:
            errors.append(_("第 %(row)s 行“事项编码”不能为空。") % {"row": number})
        if not name:
            errors.append(_("第 %(row)s 行“事项名称”不能为空。") % {"row": number})
        if dept and dept not in departments:
            errors.append(_("第 %(row)s 行部门编码“%(code)s”不存在。") % {"row": number, "code": dept})
        p = _int(promised, row=number, column=HEADERS[3], errors=errors)
        s = _int(statutory, row=number, column=HEADERS[4], errors=errors, required=False)
        c = _int(correction, row=number, column=HEADERS[5], errors=errors, required=False) or 5
        if p is not None and c > p:
            errors.append(_("第 %(row)s 行补正时限不能超过承诺时限。") % {"row": number})
        if s is not None and p is not None and p > s:
            errors.append(_("第 %(row)s 行承诺时限不能超过法定时限。") % {"row": number})
        if core.lower() not in YES | NO:
            errors.append(_("第 %(row)s 行“主要材料”须填“是”或“否”。") % {"row": number})
        if not code:
            continue
        entry = matters.setdefault(
            code,
            {
                "name": name,
                "department": departments.get(dept),
                "promised": p,
                "statutory": s,
                "correction": c,
                "materials": [],
            },
        )
        if entry["name"] != name or entry["promised"] != p:
            errors.append(_("第 %(row)s 行与同一事项的前面几行不一致。") % {"row": number, "code": code})
        if material:
            if material in [m for m, _core in entry["materials"]]:
                errors.append(_("第 %(row)s 行材料“%(name)s”重复。") % {"row": number, "name": material})
            entry["materials"].append((material, core.lower() in YES))
    if result.errors:
        return result
    with transaction.atomic():
        for code, entry in matters.items():
            matter, _created = MatterType.objects.update_or_create(
                centre=centre,
                code=code,
                defaults={
                    "name": entry["name"],
                    "department": entry["department"],
                    "promised_days": entry["promised"],
                    "statutory_days": entry["statutory"],
                    "correction_days": entry["correction"],
                },
            )
            result.matter_types += 1
            existing = {m.name: m for m in matter.materials.all()}
            for order, (material_name, is_core) in enumerate(entry["materials"], start=1):
                row = existing.get(material_name)
                if row is None:
                    Material.objects.create(matter_type=matter, name=material_name, is_core=is_core, order=order)
                else:
                    row.is_core, row.order = is_core, order
                    row.save(update_fields=["is_core", "order"])
                result.materials += 1
    return result
