"""SMS backends in the style of Django's e-mail backends.

`get_backend()` builds the one named by settings.SMS_BACKEND (a dotted path to
a class). Each backend's `send(sms)` hands one message to the provider and
returns the provider's message id. It raises `SmsTransientError` when trying
again later may help (network, 5xx, rate limit) and `SmsPermanentError` when
it will not (rejected template, bad number). The outbox calls
`send_batch(messages)`, which gives one outcome per message (the id, or the
exception); the base class loops over `send`, the file backend writes the
whole batch at once. A backend that talks to a real provider sets
`requires_provider_template_id`: a template without one fails before sending.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from .base import BaseSmsBackend, OutgoingSms, SendOutcome, SmsError, SmsPermanentError, SmsTransientError

__all__ = [
    "BaseSmsBackend",
    "OutgoingSms",
    "SendOutcome",
    "SmsError",
    "SmsPermanentError",
    "SmsTransientError",
    "get_backend",
    "get_backend_class",
]


def get_backend(backend: str | None = None, **kwargs: Any) -> BaseSmsBackend:
    return get_backend_class(backend)(**kwargs)


def get_backend_class(backend: str | None = None) -> type[BaseSmsBackend]:
    """The class named by SMS_BACKEND, not built (e.g. to ask whether it needs provider template ids)."""
    return import_string(backend or settings.SMS_BACKEND)
