# The working calendar's models move here from `staff` (issue 13): the tables
# stay where they are, so only Django's model state changes; no SQL runs.

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("staff", "0002_staff_development"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WorkCalendarDay",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField(unique=True, verbose_name="日期")),
                        ("is_workday", models.BooleanField(help_text="勾选：调休上班日；不勾选：放假。", verbose_name="上班")),
                        ("name", models.CharField(blank=True, help_text="如“春节”“国庆节调休上班”", max_length=50, verbose_name="说明")),
                    ],
                    options={
                        "verbose_name": "节假日与调休",
                        "verbose_name_plural": "节假日与调休",
                        "db_table": "staff_workcalendarday",
                        "ordering": ["date"],
                    },
                ),
                migrations.CreateModel(
                    name="WorkCalendarYear",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("year", models.PositiveSmallIntegerField(unique=True, verbose_name="年份")),
                        ("is_complete", models.BooleanField(default=False, help_text="勾选后，该年截止日期不再标记为“暂定”。", verbose_name="已完整录入")),
                        ("source", models.CharField(blank=True, help_text="如国务院办公厅放假安排通知的文号", max_length=200, verbose_name="依据")),
                    ],
                    options={
                        "verbose_name": "工作日历年度",
                        "verbose_name_plural": "工作日历年度",
                        "db_table": "staff_workcalendaryear",
                        "ordering": ["-year"],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
