from __future__ import annotations

from datetime import datetime

from complaints.models import Channel
from govservice.models import Centre
from intake.models import QueueDevice, WebhookSubscription
from intake.queue.services import queue_device_create
from intake.services import channel_key_create
from tests.factories.complaints import ChannelFactory


def hotline_channel(*centres: Centre, code: str = "hotline-api") -> Channel:
    return ChannelFactory.create(code=code, name="12345热线接口", kind=Channel.Kind.HOTLINE, centres=list(centres))


def window_device_channel(*centres: Centre, code: str = "window-device") -> Channel:
    """The rating devices on the counters: the channel that serves a case (it may rate it without an invitation)."""
    return ChannelFactory.create(code=code, name="窗口评价器", kind=Channel.Kind.WINDOW_DEVICE, centres=list(centres))


def issued_key(channel: Channel) -> str:
    """The raw key of a new ChannelKey (only the hash is stored)."""
    return channel_key_create(channel=channel, label="test").raw_key


def subscription(channel: Channel, url: str = "https://partner.example/hook") -> WebhookSubscription:
    return WebhookSubscription.objects.create(channel=channel, url=url, secret="s3cret-for-tests")


def queue_device(centre: Centre, name: str = "一楼叫号机") -> tuple[QueueDevice, str]:
    """A queue device of the centre and its raw key (only the hash is stored)."""
    issued = queue_device_create(centre=centre, name=name)
    return issued.device, issued.raw_key


def queue_event(kind: str, ticket: str, at: datetime, **fields: str) -> dict[str, str]:
    """One event as a device sends it."""
    return {"kind": kind, "ticket": ticket, "occurred_at": at.isoformat(), **fields}
