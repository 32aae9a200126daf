"""Import an existing question bank from Excel: `manage.py knowledge_import bank.xlsx --centre city --user admin`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from govservice.exceptions import DomainError
from govservice.selectors import centre_by_code
from staff.selectors import person_by_username

from ...importer import question_bank_import, read_rows


class Command(BaseCommand):
    help = "Import a question bank (.xlsx); nothing is written if any row is invalid."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument("--centre", required=True, help="centre code, e.g. city")
        parser.add_argument("--user", required=True, help="username of the centre admin doing the import")
        parser.add_argument("--publish", action="store_true", help="publish directly (an already reviewed bank)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        centre = centre_by_code(options["centre"])
        if centre is None:
            raise CommandError(f"no centre {options['centre']}")
        user = person_by_username(options["user"])
        if user is None:
            raise CommandError(f"no user {options['user']}")
        try:
            with open(options["path"], "rb") as handle:
                missing, rows = read_rows(handle, options["path"])
        except (OSError, DomainError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        if missing:
            raise CommandError(f"missing required columns: {', '.join(missing)}")
        with tqdm(total=len(rows), desc="validate", unit="row", disable=options["no_progress"]) as bar:
            result = question_bank_import(
                centre=centre,
                actor=user,
                rows=rows,
                publish=options["publish"],
                progress=bar.update,
                on_write=lambda: bar.set_description("write"),
            )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"row {error.row}: {error.message}")
            raise CommandError(f"{len(result.errors)} problem(s); nothing was imported")
        self.stdout.write(self.style.SUCCESS(f"imported {result.created} question(s)"))
