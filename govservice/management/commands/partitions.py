"""Monthly partitions of the big tables (govservice/partitions.py, docs/partitions.md).

    manage.py partitions status                      every partition: month, rows (estimate), size
    manage.py partitions ensure [--ahead N]          create the missing partitions up to N months ahead
    manage.py partitions archive --before 2025-01 --dir /srv/archive [--table T] [--dry-run]
                                                     detach, export (gzip JSON lines), verify, drop
    manage.py partitions restore FILE --table T      load an archive file back

`archive` never touches the current or a future month. Without --before it uses
PARTITION_RETENTION_MONTHS (0: keep everything, nothing is archived).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from govservice import partitions


def _month(value: str) -> dt.date:
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(value)
        return dt.date(int(year), int(month), 1)
    except ValueError as error:
        raise CommandError(f"expected YYYY-MM, got {value!r}") from error


class Command(BaseCommand):
    help = "Monthly partitions: status, ensure the months ahead, archive old months, restore an archive."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="list every partition of every partitioned table")
        status.add_argument("--table", action="append", help="only this table (db_table); repeatable")
        ensure = sub.add_parser("ensure", help="create the missing partitions ahead (what beat does daily)")
        ensure.add_argument("--ahead", type=int, default=settings.PARTITION_MONTHS_AHEAD)
        archive = sub.add_parser("archive", help="detach, export and drop the months before --before")
        archive.add_argument("--before", type=_month, help="YYYY-MM: archive the months before this one")
        archive.add_argument("--dir", default=str(settings.PARTITION_ARCHIVE_DIR), help="where the files go")
        archive.add_argument("--table", action="append", help="only this table (db_table); repeatable")
        archive.add_argument("--dry-run", action="store_true", help="say what would be archived")
        archive.add_argument("--no-progress", action="store_true", help="no progress bar (logs, cron)")
        restore = sub.add_parser("restore", help="load an archive file back into its table")
        restore.add_argument("file")
        restore.add_argument("--table", required=True, help="the db_table the file came from")

    def _models(self, tables: list[str] | None) -> list[Any]:
        models = [model for model, _key in partitions.partitioned_models()]
        if tables:
            unknown = set(tables) - {m._meta.db_table for m in models}
            if unknown:
                raise CommandError(f"not a registered partitioned table: {', '.join(sorted(unknown))}")
            models = [m for m in models if m._meta.db_table in tables]
        return models

    def handle(self, *args: object, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _status(self, options: dict[str, Any]) -> None:
        for model in self._models(options.get("table")):
            table = model._meta.db_table
            infos = partitions.list_partitions(model)
            if not infos:
                self.stdout.write(f"{table}: not partitioned")
                continue
            self.stdout.write(f"{table}: {len(infos)} partitions")
            for p in infos:
                month = f"{p.month:%Y-%m}" if p.month else "DEFAULT"
                rows = "?" if p.rows is None else str(p.rows)
                self.stdout.write(f"  {month:<8} {p.name:<44} {rows:>12} rows {p.bytes / 1048576:>10.1f} MiB")

    def _ensure(self, options: dict[str, Any]) -> None:
        for model, key in partitions.partitioned_models():
            created = partitions.ensure_partitions(model, months_ahead=options["ahead"], key=key)
            self.stdout.write(f"{model._meta.db_table}: {', '.join(created) or 'nothing to create'}")

    def _archive(self, options: dict[str, Any]) -> None:
        before = options["before"]
        if before is None:
            keep = int(settings.PARTITION_RETENTION_MONTHS)
            if keep <= 0:
                self.stdout.write("PARTITION_RETENTION_MONTHS is 0 (keep everything) and no --before: nothing to do")
                return
            before = partitions.add_months(partitions.current_month(), -keep)
        if before > partitions.current_month():
            self.stdout.write(f"--before {before:%Y-%m} is in the future: the current month is never archived")
        for model in self._models(options.get("table")):
            for info in partitions.archivable(model, before):
                assert info.month is not None  # noqa: S101 - archivable() lists monthly partitions only
                if options["dry_run"]:
                    self.stdout.write(f"would archive {info.name} (~{info.rows or 0} rows)")
                    continue
                bar = tqdm(
                    total=info.rows or None,
                    desc=info.name,
                    unit="rows",
                    file=sys.stderr,
                    disable=options["no_progress"],
                )
                with bar:
                    done = partitions.detach_and_archive(
                        model, info.month, directory=options["dir"], progress=bar.update
                    )
                self.stdout.write(f"{done.partition}: {done.rows} rows -> {done.path}")

    def _restore(self, options: dict[str, Any]) -> None:
        models = self._models([options["table"]])
        loaded = partitions.restore_archive(models[0], options["file"])
        created = partitions.ensure_partitions(models[0])
        self.stdout.write(
            f"{options['table']}: {loaded} rows loaded; partitions created: {', '.join(created) or 'none'}"
        )
