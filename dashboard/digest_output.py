"""The weekly digest as a PDF and as an e-mail, and the Monday send to every leader."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.documents import cjk_font
from staff.models import User
from staff.selectors import active_leaders_everywhere

from .digest import Digest, build_digest, last_full_week
from .models import DigestDelivery, DigestOptOut

logger = logging.getLogger(__name__)


class NoCJKFont(Exception):
    """No Chinese font on this machine: the PDF cannot be made (the page and the e-mail still can)."""


def _signed(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else str(value)


def digest_pdf(digest: Digest) -> bytes:
    """The digest on A4, Chinese text in the machine's CJK font."""
    from fpdf import FPDF

    font = cjk_font()
    if font is None:
        raise NoCJKFont
    path, index = font
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("cjk", "", path, collection_font_number=index)
    pdf.set_font("cjk", size=10)
    title = _("每周简报 %(week)s · %(scope)s") % {"week": digest.week, "scope": digest.scope}
    pdf.set_title(title)
    pdf.add_page()

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font_size(12)
        pdf.set_fill_color(230, 236, 245)
        pdf.multi_cell(0, 8, text, fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(10)

    def line(text: str) -> None:
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    pdf.set_font_size(16)
    pdf.multi_cell(0, 9, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(9)
    period = _("%(start)s 至 %(end)s，与前一周比较") % {"start": digest.monday, "end": digest.sunday}
    pdf.multi_cell(0, 6, period, align="C", new_x="LMARGIN", new_y="NEXT")

    heading(_("本周数据"))
    for figure in digest.figures:
        values = {"this": _dash(figure.this_week), "last": _dash(figure.last_week), "delta": _signed(figure.delta)}
        line(f"{figure.label}：" + _("%(this)s（上周 %(last)s，%(delta)s）") % values)
    heading(_("逾期与待办（截至发送时）"))
    for item in digest.overdue or []:
        line(f"{item.label}：{item.count}")
    if not digest.overdue:
        line(_("无"))
    heading(_("投诉最多的问题类别"))
    for item in digest.top_categories:
        line(f"{item.label}：{item.count}")
    if not digest.top_categories:
        line(_("本周没有投诉。"))
    heading(_("投诉最多的台账问题"))
    for item in digest.top_problems:
        line(f"{item.label}：{item.count}")
    if not digest.top_problems:
        line(_("本周没有关联台账问题的投诉。"))
    heading(_("%(month)s 服务之星（目前）") % {"month": f"{digest.stars_month:%Y-%m}"})
    line("、".join(star.label for star in digest.stars) if digest.stars else _("本月尚未评分。"))
    heading(_("%(start)s 起一周的值班空缺") % {"start": f"{digest.rota_monday:%m-%d}"})
    for gap in digest.rota_gaps:
        line(f"{gap.centre} {gap.day:%m-%d} {gap.half}：{gap.reason}")
    if not digest.rota_gaps:
        line(_("该周每个工作日的半天都有领导值班。"))
    return bytes(pdf.output())


def _dash(value: int | float | None) -> str:
    return "—" if value is None else str(value)


def digest_email(digest: Digest) -> EmailMultiAlternatives:
    context = {"digest": digest, "site_url": settings.PUBLIC_BASE_URL}
    subject = _("每周简报 %(week)s · %(scope)s") % {"week": digest.week, "scope": digest.scope}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("dashboard/digest_email.txt", context),
        to=[digest.leader.email],
    )
    message.attach_alternative(render_to_string("dashboard/digest_email.html", context), "text/html")
    try:
        message.attach(f"digest-{digest.week}.pdf", digest_pdf(digest), "application/pdf")
    except NoCJKFont:
        logger.warning("weekly digest %s sent without its PDF: no CJK font on this machine", digest.week)
    return message


def digest_recipients() -> list[User]:
    """Active leaders (centre and city) with an e-mail address who have not opted out."""
    opted_out = set(DigestOptOut.objects.values_list("user_id", flat=True))
    leaders = active_leaders_everywhere().exclude(email="").order_by("id")
    return [leader for leader in leaders if leader.id not in opted_out]


def digest_send(*, leader: User, monday: date) -> bool:
    """Send one leader the digest of one week, once (False: already sent, nothing done)."""
    digest = build_digest(leader=leader, monday=monday)
    try:
        with transaction.atomic():
            DigestDelivery.objects.create(user=leader, week=digest.week)
            with translation.override(settings.LANGUAGE_CODE):
                digest_email(digest).send()
    except IntegrityError:
        return False
    return True


def digests_send_weekly(today: date | None = None) -> int:
    """Monday's run: last week's digest to every leader who wants it. Returns how many were sent."""
    monday = last_full_week(today or timezone.localdate())
    sent = 0
    for leader in digest_recipients():
        try:
            sent += digest_send(leader=leader, monday=monday)
        except Exception:  # one leader's failure (a bad address) must not stop the others
            logger.exception("weekly digest for user %s failed", leader.id)
    return sent
