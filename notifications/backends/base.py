from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from govservice.masking import mask_phone


class SmsError(Exception):
    """The provider did not take the message."""


class SmsTransientError(SmsError):
    """Worth trying again later (network, timeout, 5xx, throttled)."""


class SmsPermanentError(SmsError):
    """Trying again will not help (template rejected, number refused)."""


@dataclass(frozen=True)
class OutgoingSms:
    """What a backend needs to send one message; `out_id` lets a provider drop repeats of one attempt."""

    phone: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    text: str
    out_id: str = ""
    key: str = ""
    attempt: int = 0

    def as_log_dict(self) -> dict[str, Any]:
        """Everything but the number in clear: for console/file output and logs."""
        data = asdict(self)
        data["phone"] = mask_phone(self.phone)
        return data


class BaseSmsBackend:
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        self.fail_silently = fail_silently
        self.options = kwargs

    def send(self, sms: OutgoingSms) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def send_messages(self, messages: list[OutgoingSms]) -> list[str]:
        """Send several; with fail_silently a failed one gives "" instead of raising."""
        ids = []
        for sms in messages:
            try:
                ids.append(self.send(sms))
            except SmsError:
                if not self.fail_silently:
                    raise
                ids.append("")
        return ids

    @staticmethod
    def new_message_id(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex}"
