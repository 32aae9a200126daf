from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    # The machine side of feedback: channel credentials, idempotent intake,
    # webhooks and the Open311 GeoReport v2 face. The records themselves live
    # in `complaints`; this app only receives and reports them.
    name = "intake"
    verbose_name = _("渠道接入")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

        from complaints.models import Channel
        from complaints.signals import feedback_reported, record_changed
        from govservice.input_guard import register_bad_input_renderer
        from govservice.models import Centre

        from . import auth, services
        from .models import ChannelKey
        from .open311.errors import open311_bad_input
        from .platforms import province

        # A control character in an Open311 request is refused in that standard's error shape.
        register_bad_input_renderer("/open311/", open311_bad_input)

        # A 12345 work order took a step (sent inside its transaction): queue it for the hotline's outbox.
        from complaints.signals import work_order_changed

        from . import work_orders

        work_orders.register_outbox()
        work_order_changed.connect(work_orders.on_work_order_changed, dispatch_uid="intake-work-order-changed")

        # A complaint or an evaluation's handling changed (sent after commit): feed and webhooks.
        record_changed.connect(services.on_record_changed, dispatch_uid="intake-record-changed")

        # Ratings and bad-review steps → the provincial 好差评 platform's outbox, in the writing transaction.
        province.register()
        feedback_reported.connect(province.on_feedback_reported, dispatch_uid="intake-province-feedback")

        # The channel-key cache (intake/auth.py) must forget a key whenever the key, its channel
        # or the channel's centres change, whichever screen or command changed them.
        post_save.connect(auth.on_key_changed, sender=ChannelKey, dispatch_uid="intake-key-saved")
        post_delete.connect(auth.on_key_changed, sender=ChannelKey, dispatch_uid="intake-key-deleted")
        post_save.connect(auth.on_channel_changed, sender=Channel, dispatch_uid="intake-channel-saved")
        pre_delete.connect(auth.on_channel_changed, sender=Channel, dispatch_uid="intake-channel-deleted")
        post_save.connect(auth.on_centre_changed, sender=Centre, dispatch_uid="intake-centre-saved")
        pre_delete.connect(auth.on_centre_changed, sender=Centre, dispatch_uid="intake-centre-deleted")
        m2m_changed.connect(
            auth.on_channel_centres_changed, sender=Channel.centres.through, dispatch_uid="intake-channel-centres"
        )
