"""The service-star scoring and development models move to the `development` app (state only).

Their tables keep their names (`staff_<model>`, set as db_table in development.models), so no row
moves and nothing is written to the tables; only Django's idea of which app owns them changes. The
content types follow (app_label staff → development), so permissions, the users and groups that hold
them, and admin log entries stay attached to the same models.
"""

from __future__ import annotations

from django.db import migrations

MOVED_MODELS = [
    "appraisal",
    "attendance",
    "dimension",
    "followup",
    "indicator",
    "indicatorscore",
    "manualentry",
    "mentorduty",
    "mentorpairing",
    "roleswapfinding",
    "roleswapplan",
    "roleswapreport",
    "scoreappeal",
    "scoringrun",
    "scoringrunevent",
    "scoringscheme",
    "spotcheck",
    "staffmonthscore",
    "trainingplan",
    "trainingsession",
]


def _move_content_types(apps, source: str, target: str) -> None:  # type: ignore[no-untyped-def]
    """Give each moved model's content type row the new app_label.

    If a row for the target already exists (post_migrate created it, e.g. a half-finished earlier
    migrate), the old row's permission grants and admin log entries are moved onto it and the old
    row is deleted, so nothing that pointed at the old row is lost or left duplicated.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("admin", "LogEntry")
    group_grants = apps.get_model("auth", "Group").permissions.through
    user_grants = apps.get_model("staff", "User").user_permissions.through
    for model in MOVED_MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        for permission in Permission.objects.filter(content_type=old):
            twin = Permission.objects.filter(content_type=new, codename=permission.codename).first()
            if twin is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
                continue
            for grants in (group_grants, user_grants):
                holders = grants.objects.filter(permission=permission)
                already = grants.objects.filter(permission=twin)
                owner = "group_id" if grants is group_grants else "user_id"
                holders.exclude(**{f"{owner}__in": already.values(owner)}).update(permission=twin)
            permission.delete()
        LogEntry.objects.filter(content_type=old).update(content_type=new)
        old.delete()


def forwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _move_content_types(apps, "staff", "development")


def backwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _move_content_types(apps, "development", "staff")


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_move_calendar_to_govservice"),
        ("development", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='appraisal',
                    name='one_appraisal_per_staff_per_year',
                ),
                migrations.RemoveConstraint(
                    model_name='attendance',
                    name='one_sign_in_per_session',
                ),
                migrations.RemoveConstraint(
                    model_name='dimension',
                    name='dimension_code_unique_per_scheme',
                ),
                migrations.RemoveConstraint(
                    model_name='followup',
                    name='one_follow_up_per_kind_per_month',
                ),
                migrations.RemoveConstraint(
                    model_name='indicator',
                    name='indicator_code_unique_per_scheme',
                ),
                migrations.RemoveConstraint(
                    model_name='indicator',
                    name='indicator_weight_positive',
                ),
                migrations.RemoveConstraint(
                    model_name='indicatorscore',
                    name='one_value_per_indicator_per_score',
                ),
                migrations.RemoveIndex(
                    model_name='manualentry',
                    name='staff_manua_centre__db17e4_idx',
                ),
                migrations.RemoveConstraint(
                    model_name='manualentry',
                    name='manual_entry_month_first_day',
                ),
                migrations.RemoveConstraint(
                    model_name='manualentry',
                    name='manual_entry_has_reason',
                ),
                migrations.RemoveIndex(
                    model_name='mentorduty',
                    name='staff_mento_pairing_85840e_idx',
                ),
                migrations.RemoveConstraint(
                    model_name='mentorpairing',
                    name='mentor_slot_1_or_2',
                ),
                migrations.RemoveConstraint(
                    model_name='mentorpairing',
                    name='mentor_at_most_two_mentees',
                ),
                migrations.RemoveConstraint(
                    model_name='mentorpairing',
                    name='mentee_one_active_mentor',
                ),
                migrations.RemoveConstraint(
                    model_name='mentorpairing',
                    name='mentor_is_not_own_mentee',
                ),
                migrations.RemoveField(
                    model_name='roleswapfinding',
                    name='problem',
                ),
                migrations.RemoveField(
                    model_name='roleswapfinding',
                    name='report',
                ),
                migrations.RemoveConstraint(
                    model_name='roleswapplan',
                    name='role_swap_quarter_1_to_4',
                ),
                migrations.RemoveConstraint(
                    model_name='roleswapplan',
                    name='role_swap_plan_unique',
                ),
                migrations.RemoveField(
                    model_name='roleswapreport',
                    name='plan',
                ),
                migrations.RemoveField(
                    model_name='roleswapreport',
                    name='window',
                ),
                migrations.RemoveConstraint(
                    model_name='scoreappeal',
                    name='one_appeal_per_staff_per_month',
                ),
                migrations.RemoveConstraint(
                    model_name='scoreappeal',
                    name='upheld_appeal_has_corrected_value',
                ),
                migrations.RemoveConstraint(
                    model_name='scoringrun',
                    name='scoring_run_one_per_centre_month',
                ),
                migrations.RemoveConstraint(
                    model_name='scoringrun',
                    name='scoring_run_month_first_day',
                ),
                migrations.RemoveField(
                    model_name='scoringrunevent',
                    name='run',
                ),
                migrations.RemoveField(
                    model_name='scoringrunevent',
                    name='actor',
                ),
                migrations.RemoveConstraint(
                    model_name='scoringscheme',
                    name='scoring_scheme_one_version_per_month',
                ),
                migrations.RemoveConstraint(
                    model_name='scoringscheme',
                    name='scoring_scheme_starts_on_first',
                ),
                migrations.RemoveIndex(
                    model_name='spotcheck',
                    name='staff_spotc_centre__059bac_idx',
                ),
                migrations.RemoveIndex(
                    model_name='spotcheck',
                    name='staff_spotc_staff_i_c169bb_idx',
                ),
                migrations.RemoveConstraint(
                    model_name='spotcheck',
                    name='spot_check_etiquette_0_to_10',
                ),
                migrations.RemoveConstraint(
                    model_name='staffmonthscore',
                    name='one_score_per_staff_per_run',
                ),
                migrations.RemoveConstraint(
                    model_name='trainingplan',
                    name='training_plan_unique_line',
                ),
                migrations.RemoveIndex(
                    model_name='trainingsession',
                    name='staff_train_centre__de4e20_idx',
                ),
                migrations.RemoveField(
                    model_name='appraisal',
                    name='staff',
                ),
                migrations.RemoveField(
                    model_name='attendance',
                    name='session',
                ),
                migrations.RemoveField(
                    model_name='attendance',
                    name='staff',
                ),
                migrations.RemoveField(
                    model_name='dimension',
                    name='scheme',
                ),
                migrations.RemoveField(
                    model_name='followup',
                    name='assignee',
                ),
                migrations.RemoveField(
                    model_name='followup',
                    name='centre',
                ),
                migrations.RemoveField(
                    model_name='followup',
                    name='staff',
                ),
                migrations.RemoveField(
                    model_name='indicator',
                    name='dimension',
                ),
                migrations.RemoveField(
                    model_name='indicator',
                    name='scheme',
                ),
                migrations.RemoveField(
                    model_name='indicatorscore',
                    name='appeal',
                ),
                migrations.RemoveField(
                    model_name='indicatorscore',
                    name='indicator',
                ),
                migrations.RemoveField(
                    model_name='indicatorscore',
                    name='staff_score',
                ),
                migrations.RemoveField(
                    model_name='manualentry',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='manualentry',
                    name='centre',
                ),
                migrations.RemoveField(
                    model_name='manualentry',
                    name='staff',
                ),
                migrations.RemoveField(
                    model_name='mentorduty',
                    name='pairing',
                ),
                migrations.RemoveField(
                    model_name='mentorpairing',
                    name='centre',
                ),
                migrations.RemoveField(
                    model_name='mentorpairing',
                    name='mentee',
                ),
                migrations.RemoveField(
                    model_name='mentorpairing',
                    name='mentor',
                ),
                migrations.DeleteModel(
                    name='RoleSwapFinding',
                ),
                migrations.RemoveField(
                    model_name='roleswapplan',
                    name='centre',
                ),
                migrations.RemoveField(
                    model_name='roleswapplan',
                    name='staff',
                ),
                migrations.DeleteModel(
                    name='RoleSwapReport',
                ),
                migrations.RemoveField(
                    model_name='scoreappeal',
                    name='centre',
                ),
                migrations.RemoveField(
                    model_name='scoreappeal',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='scoreappeal',
                    name='staff',
                ),
                migrations.RemoveField(
                    model_name='scoringrun',
                    name='centre',
                ),
                migrations.RemoveField(
                    model_name='scoringrun',
                    name='locked_by',
                ),
                migrations.RemoveField(
                    model_name='scoringrun',
                    name='scheme',
                ),
                migrations.DeleteModel(
                    name='ScoringRunEvent',
                ),
                migrations.RemoveField(
                    model_name='scoringscheme',
                    name='centre',
                ),
                migrations.RemoveField(
                    model_name='spotcheck',
                    name='centre',
                ),
                migrations.RemoveField(
                    model_name='spotcheck',
                    name='inspector',
                ),
                migrations.RemoveField(
                    model_name='spotcheck',
                    name='staff',
                ),
                migrations.RemoveField(
                    model_name='staffmonthscore',
                    name='run',
                ),
                migrations.RemoveField(
                    model_name='staffmonthscore',
                    name='staff',
                ),
                migrations.RemoveField(
                    model_name='staffmonthscore',
                    name='window',
                ),
                migrations.RemoveField(
                    model_name='trainingplan',
                    name='centre',
                ),
                migrations.RemoveField(
                    model_name='trainingsession',
                    name='centre',
                ),
                migrations.DeleteModel(
                    name='Appraisal',
                ),
                migrations.DeleteModel(
                    name='Attendance',
                ),
                migrations.DeleteModel(
                    name='FollowUp',
                ),
                migrations.DeleteModel(
                    name='Dimension',
                ),
                migrations.DeleteModel(
                    name='Indicator',
                ),
                migrations.DeleteModel(
                    name='IndicatorScore',
                ),
                migrations.DeleteModel(
                    name='ManualEntry',
                ),
                migrations.DeleteModel(
                    name='MentorDuty',
                ),
                migrations.DeleteModel(
                    name='MentorPairing',
                ),
                migrations.DeleteModel(
                    name='RoleSwapPlan',
                ),
                migrations.DeleteModel(
                    name='ScoreAppeal',
                ),
                migrations.DeleteModel(
                    name='ScoringScheme',
                ),
                migrations.DeleteModel(
                    name='SpotCheck',
                ),
                migrations.DeleteModel(
                    name='ScoringRun',
                ),
                migrations.DeleteModel(
                    name='StaffMonthScore',
                ),
                migrations.DeleteModel(
                    name='TrainingPlan',
                ),
                migrations.DeleteModel(
                    name='TrainingSession',
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
