"""12345 work orders: a hotline complaint with its order, as the push makes it."""

from __future__ import annotations

from datetime import datetime

from complaints import services
from complaints.models import Channel, WorkOrder
from govservice.models import Centre
from tests.factories.complaints import channel_for

_numbers = iter(range(1, 10**6))


def work_order(
    centre: Centre, *, channel: Channel | None = None, received_at: datetime | None = None, owner=None, **kwargs
) -> WorkOrder:
    channel = (
        channel
        or Channel.objects.filter(code=f"{centre.code}-{Channel.Kind.HOTLINE}").first()
        or channel_for(centre, Channel.Kind.HOTLINE)
    )
    order_no = kwargs.pop("order_no", f"GD{next(_numbers):08d}")
    complaint = services.complaint_submit(
        centre=centre,
        channel=channel,
        content=kwargs.pop("content", "窗口推诿，来回跑了三次"),
        external_id=order_no,
        received_at=received_at,
    )
    if owner is not None:
        type(complaint).objects.filter(id=complaint.id).update(owner=owner)
        complaint.refresh_from_db()
    order, _created = services.work_order_attach(complaint=complaint, order_no=order_no)
    return order
