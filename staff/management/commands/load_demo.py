"""Load the demo data of every app, idempotently, with a progress bar.

Each app may have a `demo.py` with `load(ctx: DemoContext) -> None`; they run in
INSTALLED_APPS order (staff first, development and dashboard last), so `staff.demo`
creates centres and people before the others and an app's demo finds the data of the
apps listed before it. The
apps are found through the app registry: staff names none of the higher apps. A
second run changes nothing that is already there.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from staff.demo import DEMO_PASSWORD, DemoContext


class Command(BaseCommand):
    help = "Load the demo centres, people, cases, feedback and ledger (safe to run twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-progress", action="store_true", help="no progress bar")

    def handle(self, *args: object, **options: object) -> None:
        ctx = DemoContext(stdout=self.stdout, show_progress=not options["quiet_progress"])
        for config in apps.get_app_configs():
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            self.stdout.write(f"· {config.label}")
            module.load(ctx)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for username, description in ctx.logins:
            self.stdout.write(f"  {username:<14} {description}")
