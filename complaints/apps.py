from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("评价与投诉")

    def ready(self) -> None:
        from . import ledger_hooks

        ledger_hooks.connect()

        # The admin's outbox links a message to its complaint or bad review.
        from . import sms_subjects

        sms_subjects.connect()

        # A year of the working calendar saved (govservice.calendar_year) moves these deadlines.
        from govservice.calendar_hooks import register_deadline_kind

        from .calendar import bad_review_dates_recompute, complaint_replies_recompute, escalation_dates_recompute

        register_deadline_kind("complaint_reply", _("投诉建议答复期限"), complaint_replies_recompute)
        register_deadline_kind("bad_review", _("差评处置期限"), bad_review_dates_recompute)
        register_deadline_kind("escalation", _("办不成事反映办理时限"), escalation_dates_recompute)
        from .work_order_calendar import work_order_clocks_recompute

        register_deadline_kind("work_order", _("12345工单时限"), work_order_clocks_recompute)

        # The change signal goes out after the response, through the outbox (services/common.py).
        from govservice.outbox import outbox_register

        from .services.common import RECORD_CHANGED_TOPIC, record_changed_send

        outbox_register(RECORD_CHANGED_TOPIC, record_changed_send)

        from .workload import register_providers

        register_providers()

        from staff import home_notes

        from .rota import rota_home_notes

        home_notes.register("complaints.rota", rota_home_notes)

        # A centre's reply-deadline rules are cached for the intake's hot path: forgotten on every change.
        from django.db.models.signals import post_delete, post_save

        from .deadlines import forget_feedback_policy, forget_reply_rules
        from .models import ComplaintDeadlineRule, FeedbackPolicy

        post_save.connect(forget_reply_rules, sender=ComplaintDeadlineRule, dispatch_uid="complaints.reply_rules_saved")
        post_delete.connect(
            forget_reply_rules, sender=ComplaintDeadlineRule, dispatch_uid="complaints.reply_rules_gone"
        )
        # Likewise each process's copy of a centre's bad-review days (a bad rating's hot path).
        post_save.connect(forget_feedback_policy, sender=FeedbackPolicy, dispatch_uid="complaints.policy_saved")
        post_delete.connect(forget_feedback_policy, sender=FeedbackPolicy, dispatch_uid="complaints.policy_gone")

        # The complaint and evaluation lists as background Excel exports.
        from .exports import register_exports

        register_exports()
        # The feedback figures, one definition each (govservice.metrics).
        from .metrics import register_metrics

        register_metrics()
