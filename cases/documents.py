"""The printable commitment (承诺书) and material-correction list (补正材料清单).

The same text feeds the HTML print view and the PDF. The PDF needs a real CJK
font: the first file found in CJK_FONT_CANDIDATES (or the CASES_CJK_FONT
setting) is embedded. With none on the machine, `pdf_available()` is False
and the screen offers the print view only — it never crashes.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.masking import mask_id_number, mask_name, mask_phone

from .models import Case, CaseMaterial
from .progress_link import progress_url, qr_png

# (path, index in a font collection). Noto Sans CJK's .ttc holds JP, KR, SC, TC, HK in that order.
CJK_FONT_CANDIDATES: list[tuple[str, int]] = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
]


@cache
def cjk_font() -> tuple[str, int] | None:
    configured = settings.CASES_CJK_FONT
    candidates = ([(configured, 0)] if configured else []) + CJK_FONT_CANDIDATES
    for path, index in candidates:
        if Path(path).is_file():
            return path, index
    return None


def pdf_available() -> bool:
    return cjk_font() is not None


@dataclass(frozen=True)
class Document:
    title: str
    lines: list[tuple[str, str]]  # (label, value)
    items: list[str]
    paragraphs: list[str]
    progress_url: str = ""  # the public progress page, printed with its QR code (cases/progress_link.py)


def _consequence(case: Case) -> str:
    return _("逾期未补正的，本中心将终止办理该事项，并记录申请人未按承诺补正的情况；记录期间不再适用容缺受理。")


def commitment_document(case: Case, *, for_signing: bool = False) -> Document:
    """On screen the applicant is masked; `for_signing` (the logged print, services.case_commitment_print)
    carries the full name and ID number the applicant signs under."""
    commitment = case.commitment
    name = case.applicant_name if for_signing else mask_name(case.applicant_name)
    id_number = case.applicant_id_number if for_signing else mask_id_number(case.applicant_id_number)
    deferred = [
        m.name for m in case.materials.all() if m.state in (CaseMaterial.State.DEFERRED, CaseMaterial.State.RECEIVED)
    ]
    return Document(
        title=str(_("容缺受理承诺书")),
        lines=[
            (_("办件编号"), case.tracking_no),
            (_("事项"), case.matter_type.name),
            (_("申请人"), name),
            (_("证件号码"), id_number),
            (_("联系电话"), mask_phone(case.applicant_phone)),
            (_("补正期限"), commitment.deadline.isoformat()),
            (_("补交方式"), commitment.get_submit_method_display()),
        ],
        items=deferred,
        paragraphs=[
            _("本人（单位）申请办理上述事项，除下列容缺材料外，所提交材料真实、有效。"),
            _("本人（单位）承诺于 %(date)s 前以“%(method)s”方式补齐下列材料。")
            % {"date": commitment.deadline.isoformat(), "method": commitment.get_submit_method_display()},
            _consequence(case),
            _("申请人签字（盖章）：________________    日期：________________"),
            _("受理人：%(staff)s    受理时间：%(at)s")
            % {
                "staff": case.first_responder,
                "at": timezone.localtime(commitment.signed_at).strftime("%Y-%m-%d %H:%M"),
            },
        ],
    )


def correction_list_document(case: Case) -> Document:
    commitment = case.commitment
    outstanding = [m.name for m in case.materials.all() if m.state == CaseMaterial.State.DEFERRED]
    url = progress_url(case)
    return Document(
        title=str(_("补正材料清单")),
        lines=[
            (_("办件编号"), case.tracking_no),
            (_("事项"), case.matter_type.name),
            (_("申请人"), mask_name(case.applicant_name)),
            (_("补正期限"), commitment.deadline.isoformat()),
            (_("补交方式"), commitment.get_submit_method_display()),
            (_("受理窗口"), str(case.window or "")),
            (_("进度查询网址"), url),
        ],
        items=outstanding,
        paragraphs=[
            _("请在补正期限前补齐以上材料。补齐后本中心即恢复办理。"),
            _consequence(case),
            _("进度查询：扫描二维码或访问下列网址，凭办件编号 %(no)s 和手机号后四位查询办理进度。")
            % {"no": case.tracking_no},
        ],
        progress_url=url,
    )


def render_pdf(document: Document) -> bytes:
    """The document as an A4 PDF in a CJK font. Call only when pdf_available()."""
    from fpdf import FPDF

    font = cjk_font()
    if font is None:
        raise RuntimeError("no CJK font available")
    path, index = font
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # subsetting chatter, hundreds of lines per PDF
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    pdf.add_font("cjk", "", path, collection_font_number=index)
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, document.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", size=11)
    for label, value in document.lines:
        pdf.cell(35, 8, f"{label}：")
        pdf.cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 9, _("材料清单"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    for number, item in enumerate(document.items, start=1):
        pdf.cell(0, 8, f"{number}. {item}", border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    for paragraph in document.paragraphs:
        pdf.multi_cell(0, 7, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if document.progress_url:
        pdf.image(io.BytesIO(qr_png(document.progress_url)), w=35)
        pdf.cell(0, 7, document.progress_url, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
