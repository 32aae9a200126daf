"""Version 1 of the templates the other apps send with, so a fresh install can send.

The provider template ids are left empty: set the real ones (given by the SMS
provider after it approves each wording) in the admin, which saves a new
version. Until then the file/console backends send and a gateway backend
fails each message with a message that says so. An existing code is left alone.
"""

from django.db import migrations

TEMPLATES = [
    (
        "case_correction_reminder",
        "补正材料提醒",
        ["tracking_no", "materials", "deadline", "centre"],
        "您在{centre}办理的事项（办件号{tracking_no}）尚需补交：{materials}，请于{deadline}前提交，逾期将终止办理。",
    ),
    (
        "evaluation_invite",
        "办结评价邀请",
        ["tracking_no", "url"],
        "您的办件{tracking_no}已办结，欢迎对我们的服务作出评价：{url}",
    ),
    ("ledger_measure_overdue", "整改措施逾期提醒", ["text"], "整改措施已逾期：{text}"),
    ("ledger_measure_near_due", "整改措施临期提醒", ["text"], "整改措施即将到期：{text}"),
]


def seed(apps, schema_editor):
    SmsTemplate = apps.get_model("notifications", "SmsTemplate")
    for code, name, params, text in TEMPLATES:
        if not SmsTemplate.objects.filter(code=code).exists():
            SmsTemplate.objects.create(
                code=code,
                version=1,
                name=name,
                sign_name="政务服务中心",
                provider_template_id="",
                param_names=params,
                text=text,
            )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_outbox_templates_events")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
