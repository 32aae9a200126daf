"""Keeps messages in `notifications.backends.locmem.outbox` (a list): for tests."""

from __future__ import annotations

from .base import BaseSmsBackend, OutgoingSms

outbox: list[OutgoingSms] = []


class LocmemBackend(BaseSmsBackend):
    def send(self, sms: OutgoingSms) -> str:
        outbox.append(sms)
        return self.new_message_id("locmem")


SmsBackend = LocmemBackend
