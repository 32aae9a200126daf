# Centre and Department moved from `staff` to `govservice` (issue 13). Their
# tables stay (db_table in govservice.models), so this only repoints this app's
# foreign keys in Django's model state; no SQL runs and no row is touched.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("development", "0002_scheme_ranking_policy"),
        ("govservice", "0002_centre_department"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="followup",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="score_follow_ups",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="manualentry",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="manual_entries",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="mentorpairing",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="mentor_pairings",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="roleswapplan",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="role_swap_plans",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="scoreappeal",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="score_appeals",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="scoringrun",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="scoring_runs",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="scoringscheme",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="scoring_schemes",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="spotcheck",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="spot_checks",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="trainingplan",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="training_plans",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="trainingsession",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="training_sessions",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
