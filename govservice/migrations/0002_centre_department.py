# The organisation units (Centre, Department) move here from `staff` (issue 13):
# the tables (staff_centre, staff_department), their constraints and indexes stay
# where they are, so only Django's model state changes; no SQL runs.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("govservice", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Centre",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                        ("code", models.SlugField(max_length=20, unique=True, verbose_name="编码")),
                        ("name", models.CharField(max_length=100, verbose_name="名称")),
                        (
                            "level",
                            models.CharField(
                                choices=[("city", "市级中心"), ("district", "区县中心")],
                                default="district",
                                max_length=10,
                                verbose_name="级别",
                            ),
                        ),
                        (
                            "tracking_prefix",
                            models.CharField(
                                help_text="例如 GS，编号形如 GS-2026-000123",
                                max_length=8,
                                unique=True,
                                verbose_name="办件编号前缀",
                            ),
                        ),
                        ("address", models.CharField(blank=True, max_length=200, verbose_name="地址")),
                        (
                            "parent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="children",
                                to="govservice.centre",
                                verbose_name="上级中心",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "政务服务中心",
                        "verbose_name_plural": "政务服务中心",
                        "db_table": "staff_centre",
                        "ordering": ["code"],
                    },
                ),
                migrations.CreateModel(
                    name="Department",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                        ("code", models.SlugField(max_length=30, verbose_name="编码")),
                        ("name", models.CharField(max_length=100, verbose_name="名称")),
                        (
                            "centre",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="departments",
                                to="govservice.centre",
                                verbose_name="中心",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "部门",
                        "verbose_name_plural": "部门",
                        "db_table": "staff_department",
                        "ordering": ["centre", "code"],
                        "constraints": [
                            models.UniqueConstraint(fields=("centre", "code"), name="department_code_unique_per_centre")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
