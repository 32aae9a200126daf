"""Load the demo data of every app, idempotently, with a progress bar.

Each app may have a `demo.py` with `load(ctx: DemoContext) -> None`; they run in
INSTALLED_APPS order (staff first, development and dashboard last), so `staff.demo`
creates centres and people before the others and an app's demo finds the data of the
apps listed before it. The
apps are found through the app registry: staff names none of the higher apps. A
second run changes nothing that is already there.

Development only: with DEBUG off (a production configuration) the command refuses,
because it creates a superuser and some seventy accounts whose password the README prints.
`--allow-production` loads it anyway, loudly, and then no account gets the printed
password: the listed logins get a random password each, shown once, the others none.
"""

from __future__ import annotations

import secrets
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from staff.demo import DEMO_PASSWORD, DemoContext
from staff.models import User

REFUSAL = (
    "DEBUG is off: this looks like a production configuration. load_demo creates a superuser `admin` and "
    "some seventy demo accounts and channel keys; it runs in development only (DEBUG=1, as `make run` sets). "
    "To load the demo here anyway, run it again with --allow-production."
)
WARNING = (
    "WARNING: loading the DEMO data with DEBUG off (--allow-production). It adds a superuser `admin`, demo "
    "centres, people, cases and channel keys to this database. No account gets the printed demo password."
)


class Command(BaseCommand):
    help = "Load the demo centres, people, cases, feedback and ledger (safe to run twice; development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="load the demo although DEBUG is off; new demo logins get random passwords, shown once",
        )

    def handle(self, *args: object, **options: object) -> None:
        production = not settings.DEBUG
        if production and not options["allow_production"]:
            raise CommandError(REFUSAL)
        if production:
            self.stderr.write(self.style.ERROR(WARNING))
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
        if production:
            self._random_passwords(ctx)
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for username, description in ctx.logins:
            self.stdout.write(f"  {username:<14} {description}")

    def _random_passwords(self, ctx: DemoContext) -> None:
        """Give each listed login this run created a random password of its own and print it, once."""
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins created now (each password is shown once):"))
        shown = 0
        for username, description in ctx.logins:
            if username not in ctx.created_usernames:
                continue
            user = User.objects.get(username=username)
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"  {username:<14} {password}  {description}")
            shown += 1
        if not shown:
            self.stdout.write("  (none: the demo accounts existed already and keep their passwords)")
        self.stdout.write("Every other demo account has no usable password: set one with `manage.py changepassword`.")
