"""Issue a key for a channel partner. The key is printed ONCE; only its SHA-256 is stored."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints.selectors import channel_by_code
from intake.services import channel_key_create


class Command(BaseCommand):
    help = "Create an API key for a channel (printed once; store it in the partner's secret store)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("channel", help="channel code")
        parser.add_argument("--label", default="", help="what the key is for, e.g. the partner system")

    def handle(self, *args: Any, **options: Any) -> None:
        channel = channel_by_code(options["channel"])
        if channel is None:
            raise CommandError(f"no channel with code {options['channel']!r}")
        issued = channel_key_create(channel=channel, label=options["label"])
        self.stderr.write(f"Key {issued.key.prefix}… for channel {channel.code}. It is shown only now:")
        self.stdout.write(issued.raw_key)
