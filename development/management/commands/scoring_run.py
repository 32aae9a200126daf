"""Compute a month's service-star scores for one or every centre, with a progress bar."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from development.models import month_start, previous_month
from development.scoring import scheme_for, scoring_run_month
from govservice.exceptions import DomainError
from govservice.selectors import centre_list

STEPS = ["staff", "figures", "scores", "save", "done"]


class Command(BaseCommand):
    help = "Compute (or re-compute) a month's service-star scores as a preview. Locked months are skipped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM; default: last month")
        parser.add_argument("--centre", help="centre code; default: every centre with a scheme")
        parser.add_argument("--quiet-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"]:
            try:
                month = date.fromisoformat(f"{options['month']}-01")
            except ValueError as exc:
                raise CommandError("--month must look like 2026-01") from exc
        else:
            month = previous_month(month_start(timezone.localdate()))
        candidates = centre_list().order_by("code")
        if options["centre"]:
            candidates = candidates.filter(code=options["centre"])
            if not candidates.exists():
                raise CommandError(f"no centre {options['centre']}")
        centres = [c for c in candidates if scheme_for(centre=c, month=month)]
        bar = tqdm(total=len(centres) * len(STEPS), disable=bool(options["quiet_progress"]), unit="step")
        for centre in centres:
            bar.set_description(f"{centre.code} {month:%Y-%m}")
            try:
                run = scoring_run_month(centre=centre, month=month, actor=None, progress=lambda _label: bar.update(1))
            except DomainError as exc:
                bar.write(f"{centre.code}: {exc}")
                continue
            bar.write(f"{centre.code} {month:%Y-%m}: {run.staff_count} staff, {run.ranked_count} ranked")
        bar.close()
