"""Import a 12345 hotline export or a third-party survey file from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from complaints.selectors import channel_by_code
from govservice.exceptions import DomainError
from govservice.selectors import centre_by_code
from intake.importing import import_rows, read_rows
from intake.models import ImportBatch


class Command(BaseCommand):
    help = "Validate every row and import; with errors nothing is imported unless --valid-only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--kind", choices=ImportBatch.Kind.values, required=True)
        parser.add_argument("--channel", required=True, help="channel code")
        parser.add_argument("--centre", help="centre code (default: the channel's only centre)")
        parser.add_argument("--valid-only", action="store_true", help="import the valid rows even if others fail")

    def handle(self, *args: Any, **options: Any) -> None:
        channel = channel_by_code(options["channel"])
        if channel is None:
            raise CommandError(f"no channel with code {options['channel']!r}")
        centre = None
        if options["centre"]:
            centre = centre_by_code(options["centre"])
            if centre is None:
                raise CommandError(f"no centre with code {options['centre']!r}")
        path: Path = options["path"]
        try:
            with path.open("rb") as handle:
                headers, rows = read_rows(handle, path.name)
        except (OSError, DomainError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        bar = tqdm(total=len(rows), unit="row", disable=options["verbosity"] == 0)
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            bar.update(count - done)
            done = count

        result = import_rows(
            kind=options["kind"],
            channel=channel,
            centre=centre,
            headers=headers,
            rows=rows,
            valid_only=options["valid_only"],
            progress=progress,
        )
        bar.close()
        for error in result.errors:
            self.stderr.write(f"row {error.row}, {error.column}: {error.message}")
        summary = f"{result.total} rows, {result.imported} imported, {result.duplicates} duplicates, {result.error_rows} rows with errors"
        if result.errors and not result.committed:
            raise CommandError(summary + " — nothing imported (use --valid-only to import the valid rows)")
        self.stdout.write(summary)
