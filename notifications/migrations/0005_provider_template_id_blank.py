"""The provider template id may be empty; the `TODO_<CODE>` placeholders seeded by 0003 become empty.

An empty id says plainly "not approved yet": the admin lists such templates
and a gateway backend refuses to send them with a clear error, where a
placeholder would have reached the provider and come back as an obscure refusal.
The placeholders were never a real id, so clearing them in place (rather than
publishing a new version) changes nothing that was sent.
"""

from django.db import migrations, models


def clear_placeholders(apps, schema_editor):
    SmsTemplate = apps.get_model("notifications", "SmsTemplate")
    SmsTemplate.objects.filter(provider_template_id__startswith="TODO_").update(provider_template_id="")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_event_actor_requeue")]

    operations = [
        migrations.AlterField(
            model_name="smstemplate",
            name="provider_template_id",
            field=models.CharField(
                blank=True,
                help_text="短信服务商审核通过后给出的模板编号。留空时只能用文件/控制台后端，经短信网关发送会失败。",
                max_length=64,
                verbose_name="服务商模板编号",
            ),
        ),
        migrations.RunPython(clear_placeholders, migrations.RunPython.noop),
    ]
