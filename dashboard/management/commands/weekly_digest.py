"""Write one weekly digest on demand: `manage.py weekly_digest --centre CODE --week 2026-W49 --output FILE`.

The digest is what the centre's leader sees (a centre's scope); `--leader USERNAME` picks another
reader (a city leader: the whole city). A FILE ending in .pdf gets the PDF, any other the web page's HTML.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.loader import render_to_string
from django.utils import translation

from govservice.selectors import centre_by_code
from staff.selectors import leaders_of, person_by_username

from ...digest import BadWeek, build_digest, last_full_week, parse_week
from ...digest_output import NoCJKFont, digest_pdf


class Command(BaseCommand):
    help = "Write the leaders' weekly digest of one ISO week to a file (PDF or HTML)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--centre", required=True, help="centre code")
        parser.add_argument("--week", default="", help="ISO week, e.g. 2026-W49 (default: last week)")
        parser.add_argument("--output", required=True, help="file to write (.pdf for the PDF, else HTML)")
        parser.add_argument("--leader", default="", help="username of the reader (default: the centre's leader)")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args: object, **options: object) -> None:
        centre = centre_by_code(str(options["centre"]))
        if centre is None:
            raise CommandError(f"no centre with code {options['centre']!r}")
        try:
            monday = parse_week(str(options["week"])) if options["week"] else last_full_week()
        except BadWeek as exc:
            raise CommandError(str(exc)) from exc
        if options["leader"]:
            leader = person_by_username(str(options["leader"]))
            if leader is None:
                raise CommandError(f"no user {options['leader']!r}")
        else:
            leader = leaders_of(centre).order_by("id").first()
            if leader is None:
                raise CommandError(f"centre {centre.code} has no active leader to read the digest as; pass --leader")
        output = Path(str(options["output"]))
        with translation.override(str(options["language"])):
            digest = build_digest(leader=leader, monday=monday)
            if output.suffix.lower() == ".pdf":
                try:
                    output.write_bytes(digest_pdf(digest))
                except NoCJKFont as exc:
                    raise CommandError("no CJK font on this machine: install fonts-noto-cjk or write .html") from exc
            else:
                output.write_text(
                    render_to_string(
                        "dashboard/digest_email.html", {"digest": digest, "site_url": settings.PUBLIC_BASE_URL}
                    ),
                    encoding="utf-8",
                )
        self.stdout.write(f"{digest.week} ({digest.monday} – {digest.sunday}) for {leader.username}: {output}")
