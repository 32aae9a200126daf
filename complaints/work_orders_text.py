"""What a work-order step will do, in a sentence: the confirmation step on the complaint page and in the
leader's inbox show it before anything changes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .models import WorkOrder


def work_order_step_summary(order: WorkOrder, action: str, data: dict[str, Any]) -> str:
    names = {"no": order.order_no, "days": data.get("days") or order.extension_days or 0}
    texts = {
        WorkOrder.Action.SIGN: _("签收工单 %(no)s：办理时限开始由本中心负责，签收结果将报送12345热线。"),
        WorkOrder.Action.RETURN: _("将工单 %(no)s 退回12345热线重新派单：本中心不再办理，退回理由将报送热线。"),
        WorkOrder.Action.REQUEST_EXTENSION: _(
            "为工单 %(no)s 申请延期 %(days)s 个工作日：须经中心领导审批，审批前办理期限不变。"
        ),
        WorkOrder.Action.APPROVE_EXTENSION: _("同意工单 %(no)s 延期 %(days)s 个工作日：办理期限随即顺延。"),
        WorkOrder.Action.REFUSE_EXTENSION: _("不同意工单 %(no)s 的延期申请：办理期限不变。"),
        WorkOrder.Action.ANSWER: _("办结工单 %(no)s：答复内容将报送12345热线，等待热线回访。"),
    }
    return texts[WorkOrder.Action(action)] % names
