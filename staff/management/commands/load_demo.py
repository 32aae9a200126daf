"""Load the demo data of every app, idempotently, with a progress bar.

Each app may have a `demo.py` with `load(ctx: DemoContext) -> None`; they run in
the order of DEMO_APPS, after `staff.demo` has created centres and people. A
second run changes nothing that is already there.
"""

from __future__ import annotations

from importlib import import_module

from django.core.management.base import BaseCommand

from staff.demo import DEMO_PASSWORD, DemoContext

DEMO_APPS = ["staff", "cases", "complaints", "rectification", "notifications", "knowledge", "intake"]


class Command(BaseCommand):
    help = "Load the demo centres, people, cases, feedback and ledger (safe to run twice)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--quiet-progress", action="store_true", help="no progress bar")

    def handle(self, *args: object, **options: object) -> None:
        ctx = DemoContext(stdout=self.stdout, show_progress=not options["quiet_progress"])
        for app_label in DEMO_APPS:
            try:
                module = import_module(f"{app_label}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_label}.demo":
                    raise
                continue
            self.stdout.write(f"· {app_label}")
            module.load(ctx)
        # Last month's service-star scores read cases and feedback, which load after staff.
        from staff.demo_development import load_scores

        self.stdout.write("· scores")
        load_scores(ctx)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for username, description in ctx.logins:
            self.stdout.write(f"  {username:<14} {description}")
