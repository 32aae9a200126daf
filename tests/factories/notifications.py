from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from govservice.crypto import lookup_hash
from notifications.models import Notice, SmsMessage, SmsTemplate
from tests.factories.staff import CentreFactory, UserFactory


class SmsTemplateFactory(factory.django.DjangoModelFactory[SmsTemplate]):
    class Meta:
        model = SmsTemplate
        django_get_or_create = ("code", "version")

    code = "correction_reminder"
    version = 1
    name = "补正材料提醒"
    sign_name = "市政务服务中心"
    provider_template_id = "SMS_100001"
    param_names = factory.LazyFunction(lambda: ["tracking_no", "materials", "deadline"])
    text = "您的办件{tracking_no}还需补交{materials}，请于{deadline}前提交。"
    allow_night = False
    is_active = True


class SmsMessageFactory(factory.django.DjangoModelFactory[SmsMessage]):
    class Meta:
        model = SmsMessage

    key = factory.Sequence(lambda n: f"test:{n}")
    centre = factory.SubFactory(CentreFactory)
    phone = factory.Sequence(lambda n: f"1390000{n % 10000:04d}")
    phone_hash = factory.LazyAttribute(lambda o: lookup_hash(o.phone))
    template_code = "correction_reminder"
    params = factory.LazyFunction(
        lambda: {"tracking_no": "GS-2026-000001", "materials": "营业执照复印件", "deadline": "12月3日"}
    )
    send_after = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))


class NoticeFactory(factory.django.DjangoModelFactory[Notice]):
    class Meta:
        model = Notice

    recipient = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"notice:{n}")
    text = factory.Sequence(lambda n: f"通知{n}")
