"""Recompute the dashboard's day counts of evaluations, complaints and cases, or check them (`--check`).

The counts are kept by triggers (govservice/rollups.py) and need no routine rebuild. Run it
after a change of TIME_ZONE (it reinstalls the triggers for the new zone), after restoring one
table without the other, or when `--check` (e.g. from a monitoring job) reports a difference.
A rebuild also folds the per-connection shards of each counter into one row.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govservice import rollups


class Command(BaseCommand):
    help = "Recompute the leader dashboard's day counts of evaluations, complaints and cases (or --check them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="compare with a fresh count; change nothing")
        parser.add_argument("--database", default="default")

    def handle(self, *args: object, **options: object) -> None:
        using = str(options["database"])
        if options["check"]:
            differences = [d for rollup in rollups.ROLLUPS for d in rollups.drift(rollup, using=using)]
            for d in differences[:20]:
                self.stdout.write(f"{d.table} {d.key}: counted {d.counted}, actually {d.actual}")
            if differences:
                raise CommandError(f"{len(differences)} counters differ from the rows; run without --check to rebuild")
            self.stdout.write("the day counts equal a fresh count of the rows")
            return
        for rollup in rollups.ROLLUPS:
            started = time.monotonic()
            counters = rollups.rebuild(rollup, using=using)
            self.stdout.write(f"{rollup.table}: {counters} counters in {time.monotonic() - started:.1f} s")
