"""Re-encrypt every encrypted column under the current FIELD_ENCRYPTION_KEY and recompute every lookup hash
under the current FIELD_LOOKUP_KEY (govservice/keyrotation.py; the procedure: docs/key-rotation.md).

    FIELD_ENCRYPTION_KEY=new,old FIELD_LOOKUP_KEY=newlookup,oldlookup manage.py rotate_field_keys

Safe to run while the application serves (each batch is its own short transaction, compare-and-set per
row), and to run again after a kill: what is already current is skipped. It ends with a summary per
column and says whether the old keys may now be removed.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from govservice import keyrotation
from govservice.crypto import reset_key_caches

SHOWN_UNREADABLE = 100  # the rest are counted; the first ones are enough to go and look


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the newest key and recompute the lookup hashes (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=keyrotation.DEFAULT_BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, cron)")

    def handle(self, *args: object, **options: Any) -> None:
        batch_size = int(options["batch_size"])
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        reset_key_caches()  # the keys as configured now, not as some earlier code in this process read them
        quiet = bool(options["no_progress"])

        def progress(plan: keyrotation.ModelPlan, total: int) -> Any:
            return tqdm(total=total, desc=plan.table, unit="rows", file=sys.stderr, disable=quiet, leave=True)

        started = time.monotonic()
        report = keyrotation.rotate(batch_size=batch_size, progress=progress)
        elapsed = time.monotonic() - started
        self._summary(report, elapsed)

    def _summary(self, report: keyrotation.RotationReport, elapsed: float) -> None:
        out = self.stdout
        out.write(f"{'table':<32} {'column':<24} {'kind':<9} {'rows':>9} {'current':>9} {'changed':>9} {'unread':>7}")
        for c in report.columns:
            no_source = f"  ({c.no_source} without source row)" if c.no_source else ""
            out.write(
                f"{c.table:<32} {c.column:<24} {c.kind:<9} {c.checked:>9} {c.current:>9} {c.changed:>9}"
                f" {c.unreadable:>7}{no_source}"
            )
        changed = sum(c.changed for c in report.columns)
        rate = report.rows / elapsed if elapsed > 0 else 0.0
        out.write(f"{report.rows} rows in {elapsed:.1f} s ({rate:.0f} rows/s), {changed} values rewritten")
        if report.unreadable:
            out.write(
                self.style.WARNING(f"{len(report.unreadable)} values no configured key can read (left as they are):")
            )
            for table, pk, column in report.unreadable[:SHOWN_UNREADABLE]:
                out.write(f"  {table} id={pk} {column}")
            if len(report.unreadable) > SHOWN_UNREADABLE:
                out.write(f"  … and {len(report.unreadable) - SHOWN_UNREADABLE} more")
        if report.complete:
            out.write(
                self.style.SUCCESS("Every value and hash is under the current keys: the old keys may be removed.")
            )
        else:
            out.write(
                self.style.WARNING(
                    "Keep the old keys: some values could not be read or some hashes have no source row to recompute from."
                )
            )
