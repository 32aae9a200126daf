"""Keeps messages in `notifications.backends.locmem.outbox` (a list): for tests."""

from __future__ import annotations

from collections.abc import Sequence

from .base import BaseSmsBackend, OutgoingSms

outbox: list[OutgoingSms] = []


class LocmemBackend(BaseSmsBackend):
    can_reconcile = True
    settle_after_seconds = 0  # in memory: nothing is ever under way

    def send(self, sms: OutgoingSms) -> str:
        outbox.append(sms)
        return self.provider_id(sms)

    def received(self, out_ids: Sequence[str]) -> dict[str, str]:
        wanted = set(out_ids)
        return {sms.out_id: self.provider_id(sms) for sms in outbox if sms.out_id in wanted}

    @staticmethod
    def provider_id(sms: OutgoingSms) -> str:
        """The same id every time it is asked (the test provider's own numbering)."""
        return f"locmem-{sms.out_id}" if sms.out_id else LocmemBackend.new_message_id("locmem")


SmsBackend = LocmemBackend
