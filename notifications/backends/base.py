from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

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
        data = {f.name: getattr(self, f.name) for f in fields(self)}  # shallow: asdict() deep-copies the params
        data["phone"] = mask_phone(self.phone)
        return data


# What a backend says about one message of a batch: the provider's message id,
# or the exception that explains why the provider did not take it.
SendOutcome = str | Exception


class BaseSmsBackend:
    # A real provider addresses only templates it approved, by their id: a
    # template without one cannot be sent through it. Local backends print the
    # wording and need no id.
    requires_provider_template_id: ClassVar[bool] = False
    # Which SmsTemplate field holds this provider's code for a template (each real provider approves the
    # wording on its own and numbers it its own way): the generic gateway reads `provider_template_id`,
    # Aliyun `aliyun_template_code`, Tencent Cloud `tencent_template_id`.
    template_id_field: ClassVar[str] = "provider_template_id"
    # How many messages the outbox hands over at once (marks them handed over,
    # sends them, records the outcomes). A backend that loops over a network
    # call keeps this small, so a slow provider never holds many messages
    # handed over but unrecorded (a worker killed then makes each a possible duplicate).
    batch_size: ClassVar[int] = 500
    # Whether `received(out_ids)` can tell which messages the provider already
    # has (a provider with a query API, or the file backend's own file). The
    # reaper then settles a hand-over whose worker died instead of sending it
    # again on the chance that it was lost.
    can_reconcile: ClassVar[bool] = False
    # How long a hand-over may still be under way (the provider call's own time-out, and then some).
    # Until then "not received" may only mean "not yet": the reaper asks only about older hand-overs.
    settle_after_seconds: ClassVar[float] = 60

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        self.fail_silently = fail_silently
        self.options = kwargs

    def send(self, sms: OutgoingSms) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def send_batch(self, messages: Sequence[OutgoingSms]) -> list[SendOutcome]:
        """Hand several messages over; one outcome per message, in order.

        Never raises an `Exception` for one message: its outcome is the
        exception instead, so the others' outcomes are not lost. (A
        BaseException - the worker being killed - still propagates: the
        messages stay handed over and the reaper counts them.) This default
        sends one by one; a backend that can take a batch in one go overrides it.
        """
        outcomes: list[SendOutcome] = []
        for sms in messages:
            try:
                outcomes.append(self.send(sms))
            except Exception as exc:  # network, 5xx, a bug in a backend: the outbox decides
                outcomes.append(exc)
        return outcomes

    def received(self, out_ids: Sequence[str]) -> dict[str, str]:
        """Of these `out_id`s, the ones the provider has taken, each with the provider's message id.

        Only called when `can_reconcile`. An id missing from the answer was not
        taken: the outbox sends it again. Raise `SmsError` when the provider
        cannot be asked now; the reaper then leaves the messages for its next run.
        """
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
