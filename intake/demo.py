"""Demo data for intake: API keys for the machine channels (never printed) and two example imports.

No webhook subscription is created: there is no partner server to call in a demo. The
keys exist so that status changes made while exploring the demo land in the pull feed
(/api/v1/intake/updates/); to call the API, issue a fresh key in the admin or with
`manage.py create_channel_key <channel>`, which shows it once.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.utils import timezone

from complaints.models import Channel
from govservice.models import Centre
from staff.demo import DemoContext
from staff.models import Window

from .importing import import_rows, read_rows
from .models import ChannelKey, HotlinePlatform, ImportBatch
from .queue.demo import load as load_queue
from .services import channel_key_create

MACHINE_KINDS = (Channel.Kind.HOTLINE, Channel.Kind.THIRD_PARTY, Channel.Kind.MOBILE_APP)
DEMO_FILE = "demo-12345-export-{}.csv"
COMPLAINT_TEXTS = [
    "窗口工作人员态度不耐烦，问了两遍就不理人",
    "排队等了一个多小时，叫号系统经常跳号",
    "材料要求前后说法不一致，跑了三次",
    "工作人员上班时间玩手机",
    "希望午间也能办理社保业务",
    "自助机经常故障，无人处理",
]


def load(ctx: DemoContext) -> None:
    centres = list(Centre.objects.filter(code__in=["city", "gxq"]).order_by("code"))
    for channel in Channel.objects.filter(kind__in=MACHINE_KINDS, centres__in=centres).distinct():
        if not ChannelKey.objects.filter(channel=channel).exists():
            channel_key_create(channel=channel, label="演示：密钥未显示；调用接口请新建密钥")
    for centre in centres:
        hotline = Channel.objects.filter(kind=Channel.Kind.HOTLINE, centres=centre).first()
        if hotline is not None:
            _example_import(ctx, centre, hotline)
            if centre.code == "city":
                _work_orders(ctx, centre, hotline)
    _queue(ctx)


def _rows(ctx: DemoContext, centre: Centre, count: int, bad_every: int) -> bytes:
    windows = list(Window.objects.filter(centre=centre).values_list("code", flat=True)) or [""]
    now = timezone.localtime()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["工单编号", "受理时间", "诉求类型", "诉求内容", "联系人", "联系电话", "涉及窗口"])
    for n in range(1, count + 1):
        received = now - timedelta(days=ctx.rng.randrange(1, 20), minutes=ctx.rng.randrange(600))
        text = ctx.rng.choice(COMPLAINT_TEXTS)
        phone = ctx.phone()
        if bad_every and n % bad_every == 0:
            phone = phone[:7]  # a truncated number, as real exports sometimes have
        writer.writerow(
            [
                f"DEMO-{centre.code.upper()}-{n:04d}",
                received.strftime("%Y/%m/%d %H:%M"),
                "建议" if text.startswith("希望") else "投诉",
                text,
                ctx.person_name(),
                phone,
                ctx.rng.choice(windows),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _example_import(ctx: DemoContext, centre: Centre, channel: Channel) -> None:
    name = DEMO_FILE.format(centre.code)
    if ImportBatch.objects.filter(original_name=name).exists():
        return
    content = _rows(ctx, centre, count=24, bad_every=9)
    headers, rows = read_rows(io.BytesIO(content), name)
    # Run as a user would: first all-or-nothing (rejected, errors shown), then "only valid rows".
    for valid_only in (False, True):
        result = import_rows(
            kind=ImportBatch.Kind.HOTLINE,
            channel=channel,
            centre=centre,
            headers=headers,
            rows=rows,
            valid_only=valid_only,
        )
        batch = ImportBatch(
            kind=ImportBatch.Kind.HOTLINE,
            centre=centre,
            channel=channel,
            original_name=name,
            valid_only=valid_only,
            status=ImportBatch.Status.DONE if result.committed else ImportBatch.Status.REJECTED,
            total_rows=result.total,
            processed_rows=result.total,
            imported_rows=result.imported,
            duplicate_rows=result.duplicates,
            errors=[e.as_dict() for e in result.errors],
        )
        batch.save()  # no file: an import file is deleted once its batch is processed


def _queue(ctx: DemoContext) -> None:
    """The queue machines' demo (intake/queue/demo.py)."""
    load_queue(ctx)


# Pushed 12345 work orders in different stages: (order number, days ago it arrived, steps taken).
WORK_ORDERS = [
    ("GD-DEMO-0001", 0, []),
    ("GD-DEMO-0002", 3, ["sign"]),
    ("GD-DEMO-0003", 4, ["sign", "request_extension"]),
    ("GD-DEMO-0004", 2, ["sign", "answer"]),
    ("GD-DEMO-0005", 6, ["sign", "answer", "callback"]),
]


def _work_orders(ctx: DemoContext, centre: Centre, channel: Channel) -> None:
    """The city centre's hotline as a signing platform (its secret is random: set one in the admin to push)
    and a few orders pushed through it, one per stage; the extension request waits in the leader's inbox."""
    from complaints import services as complaint_services
    from complaints.models import WorkOrder
    from govservice import access
    from govservice.exceptions import DomainError
    from staff.models import User

    from .work_orders import work_order_receive

    platform, _created = HotlinePlatform.objects.get_or_create(
        channel=channel,
        defaults={
            "code": f"{centre.code}-12345",
            "name": f"{centre.name}12345热线",
            "secret": HotlinePlatform.new_secret(),
        },
    )
    leader = next((u for u in User.objects.filter(centre=centre, is_active=True) if access.is_centre_leader(u)), None)
    if leader is None:
        return
    now = timezone.now()
    for n, (order_no, days_ago, steps) in enumerate(WORK_ORDERS):
        if WorkOrder.objects.filter(channel=channel, order_no=order_no).exists():
            continue
        try:
            order, _new = work_order_receive(
                platform=platform,
                data={
                    "order_no": order_no,
                    "content": COMPLAINT_TEXTS[n % len(COMPLAINT_TEXTS)],
                    "contact_name": ctx.person_name(),
                    "contact_phone": ctx.phone(),
                    "received_at": now - timedelta(days=days_ago, hours=1),
                },
            )
        except DomainError:  # e.g. the days back fall in a month whose scores are locked: fewer demo orders
            continue
        notes = {"request_extension": "涉及两个部门会商，需延期", "answer": "已联系群众说明办理流程，并当场协调办结"}
        for step in steps:
            complaint_services.work_order_transition(
                work_order_id=order.id,
                action=step,
                actor=None if step == "callback" else leader,
                by_platform=step == "callback",
                callback_result="satisfied" if step == "callback" else "",
                note=notes.get(step, ""),
                days=3 if step == "request_extension" else None,
            )
