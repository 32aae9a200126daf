"""Staff development: appraisals, tiered training, mentors and role-swap experience (换位体验)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.categories import ProblemCategory
from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.models import Centre, TimeStampedModel
from govservice.sealed import ScrubbedCharField, ScrubbedTextField
from staff.models import PositionType, Window


def _anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a non-leap year: the anniversary is 1 March
        return date(start.year + years, 3, 1)


def full_years_between(start: date, on: date) -> int:
    years = on.year - start.year
    if on < _anniversary(start, years):
        years -= 1
    return max(years, 0)


class SeniorityBand(models.TextChoices):
    UNDER_1 = "lt1", _("不满 1 年")
    ONE_TO_3 = "1to3", _("1–3 年")
    OVER_3 = "gt3", _("3 年以上")


def seniority_band(started_on: date, on: date) -> str:
    """< 1 year until the first anniversary; 1–3 years up to and including the third anniversary."""
    if on < _anniversary(started_on, 1):
        return SeniorityBand.UNDER_1
    if on <= _anniversary(started_on, 3):
        return SeniorityBand.ONE_TO_3
    return SeniorityBand.OVER_3


class Appraisal(PlainConstraintErrors, TimeStampedModel):
    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("优秀")
        COMPETENT = "competent", _("称职")
        BASIC = "basic", _("基本称职")
        INCOMPETENT = "incompetent", _("不称职")

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="appraisals"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.CharField(_("考核等次"), max_length=20, choices=Grade.choices)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "one_appraisal_per_staff_per_year": ConstraintMessage("year", lambda obj: _("该人员该年度已有考核结果。")),
    }

    class Meta:
        db_table = "staff_appraisal"  # kept from when the model was staff's
        verbose_name = _("年度考核")
        verbose_name_plural = _("年度考核")
        ordering = ["staff", "-year"]
        constraints = [models.UniqueConstraint(fields=["staff", "year"], name="one_appraisal_per_staff_per_year")]

    def __str__(self) -> str:
        return f"{self.staff} · {self.year} · {self.get_grade_display()}"


class SessionType(models.TextChoices):
    NEW_STAFF = "new_staff", _("新人集中培训")
    SKILLS = "skills", _("岗位技能提升")
    SENIOR_SEMINAR = "senior_seminar", _("资深人员专家研讨")
    POLICY_UPDATE = "policy_update", _("政策更新")


# The default audience band of each type; policy updates are for everyone.
SESSION_TYPE_BAND = {
    SessionType.NEW_STAFF: SeniorityBand.UNDER_1,
    SessionType.SKILLS: SeniorityBand.ONE_TO_3,
    SessionType.SENIOR_SEMINAR: SeniorityBand.OVER_3,
    SessionType.POLICY_UPDATE: "",
}


class TrainingPlan(PlainConstraintErrors, TimeStampedModel):
    """How many sessions and attendances a year's training should have, per type and audience."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="training_plans")
    year = models.PositiveSmallIntegerField(_("年度"))
    session_type = models.CharField(_("培训类型"), max_length=20, choices=SessionType.choices)
    position_type = models.CharField(
        _("岗位类型"), max_length=20, choices=PositionType.choices, blank=True, help_text=_("留空：全部岗位")
    )
    band = models.CharField(
        _("工作年限"), max_length=10, choices=SeniorityBand.choices, blank=True, help_text=_("留空：全部人员")
    )
    frequency = models.CharField(_("频次"), max_length=50, blank=True, help_text=_("如“每月 2 次”“每季度 1 次”"))
    planned_sessions = models.PositiveSmallIntegerField(_("计划场次"))
    planned_attendances = models.PositiveIntegerField(_("计划参训人次"))

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "training_plan_unique_line": ConstraintMessage(
            "session_type", lambda obj: _("该年度已有同类型、同岗位、同年限段的培训计划。")
        ),
    }

    class Meta:
        db_table = "staff_trainingplan"  # kept from when the model was staff's
        verbose_name = _("培训计划")
        verbose_name_plural = _("培训计划")
        ordering = ["centre", "-year", "session_type", "position_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "year", "session_type", "position_type", "band"], name="training_plan_unique_line"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_session_type_display()} {self.get_position_type_display()}"


class TrainingSession(TimeStampedModel):
    centre = models.ForeignKey(
        Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="training_sessions"
    )
    session_type = models.CharField(_("培训类型"), max_length=20, choices=SessionType.choices)
    held_on = models.DateField(_("日期"))
    topic = models.CharField(_("主题"), max_length=200)
    trainer = models.CharField(_("授课人"), max_length=100)
    position_type = models.CharField(
        _("面向岗位"), max_length=20, choices=PositionType.choices, blank=True, help_text=_("留空：全部岗位")
    )
    band = models.CharField(
        _("面向工作年限"), max_length=10, choices=SeniorityBand.choices, blank=True, help_text=_("留空：全部人员")
    )

    class Meta:
        db_table = "staff_trainingsession"  # kept from when the model was staff's
        verbose_name = _("培训场次")
        verbose_name_plural = _("培训场次")
        ordering = ["-held_on", "id"]
        indexes = [models.Index(fields=["centre", "held_on"])]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class Attendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, verbose_name=_("培训场次"), on_delete=models.CASCADE, related_name="attendances"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="training_attendances"
    )
    signed_in_at = models.DateTimeField(_("签到时间"))

    class Meta:
        db_table = "staff_attendance"  # kept from when the model was staff's
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        ordering = ["session", "signed_in_at"]
        constraints = [models.UniqueConstraint(fields=["session", "staff"], name="one_sign_in_per_session")]

    def __str__(self) -> str:
        return f"{self.session} · {self.staff}"


MAX_MENTEES = 2
MENTOR_MIN_YEARS = 5


class MentorPairing(PlainConstraintErrors, TimeStampedModel):
    """A mentor and a mentee. `slot` 1 or 2 makes the 2-mentee cap a database rule too."""

    class Reason(models.TextChoices):
        NEW_STAFF = "new_staff", _("新入职")
        WEAKER = "weaker", _("业务薄弱")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="mentor_pairings")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导师"), on_delete=models.PROTECT, related_name="mentee_pairings"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("学员"), on_delete=models.PROTECT, related_name="mentor_pairings"
    )
    slot = models.PositiveSmallIntegerField(_("名额"))
    reason = models.CharField(_("结对原因"), max_length=20, choices=Reason.choices)
    started_on = models.DateField(_("结对日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    independent_on = models.DateField(
        _("独立上岗日期"), null=True, blank=True, help_text=_("学员经考核可独立办理业务的日期")
    )

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "mentor_slot_1_or_2": ConstraintMessage("slot", lambda obj: _("名额须为 1 或 %(n)d。") % {"n": MAX_MENTEES}),
        "mentor_at_most_two_mentees": ConstraintMessage(
            "slot", lambda obj: _("该导师的这一名额已被占用（每位导师最多带 %(n)d 名学员）。") % {"n": MAX_MENTEES}
        ),
        "mentee_one_active_mentor": ConstraintMessage("mentee", lambda obj: _("该学员已有导师。")),
        "mentor_is_not_own_mentee": ConstraintMessage("mentee", lambda obj: _("导师不能带自己。")),
    }

    class Meta:
        db_table = "staff_mentorpairing"  # kept from when the model was staff's
        verbose_name = _("导师结对")
        verbose_name_plural = _("导师结对")
        ordering = ["centre", "mentor", "slot"]
        constraints = [
            models.CheckConstraint(condition=models.Q(slot__gte=1, slot__lte=MAX_MENTEES), name="mentor_slot_1_or_2"),
            models.UniqueConstraint(
                fields=["mentor", "slot"], condition=models.Q(ended_on__isnull=True), name="mentor_at_most_two_mentees"
            ),
            models.UniqueConstraint(
                fields=["mentee"], condition=models.Q(ended_on__isnull=True), name="mentee_one_active_mentor"
            ),
            models.CheckConstraint(condition=~models.Q(mentor=models.F("mentee")), name="mentor_is_not_own_mentee"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.mentee}"

    @property
    def days_to_independence(self) -> int | None:
        if not self.independent_on:
            return None
        return (self.independent_on - self.started_on).days


class DutyKind(models.TextChoices):
    GUIDANCE = "guidance", _("现场指导（每周）")
    CASE_REVIEW = "case_review", _("案例复盘（每月）")
    ASSESSMENT = "assessment", _("模拟考核（每季度）")


class MentorDuty(TimeStampedModel):
    pairing = models.ForeignKey(MentorPairing, verbose_name=_("结对"), on_delete=models.CASCADE, related_name="duties")
    kind = models.CharField(_("职责"), max_length=20, choices=DutyKind.choices)
    done_on = models.DateField(_("日期"))
    note = ScrubbedTextField(_("记录"), blank=True)

    class Meta:
        db_table = "staff_mentorduty"  # kept from when the model was staff's
        verbose_name = _("导师履职记录")
        verbose_name_plural = _("导师履职记录")
        ordering = ["pairing", "-done_on"]
        indexes = [models.Index(fields=["pairing", "kind", "done_on"])]

    def __str__(self) -> str:
        return f"{self.pairing} · {self.get_kind_display()} · {self.done_on}"


class RoleSwapPlan(PlainConstraintErrors, TimeStampedModel):
    """Who experiences which high-frequency matter as a citizen in a quarter."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="role_swap_plans")
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("体验人"), on_delete=models.PROTECT, related_name="role_swap_plans"
    )
    matter = models.CharField(_("体验事项"), max_length=200, help_text=_("高频事项，如企业开办、社保转移"))
    planned_on = models.DateField(_("计划日期"), null=True, blank=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "role_swap_quarter_1_to_4": ConstraintMessage("quarter", lambda obj: _("季度须为 1 至 4。")),
        "role_swap_plan_unique": ConstraintMessage("matter", lambda obj: _("该人员本季度已有体验该事项的计划。")),
    }

    class Meta:
        db_table = "staff_roleswapplan"  # kept from when the model was staff's
        verbose_name = _("换位体验计划")
        verbose_name_plural = _("换位体验计划")
        ordering = ["centre", "-year", "-quarter", "staff"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quarter__gte=1, quarter__lte=4), name="role_swap_quarter_1_to_4"),
            models.UniqueConstraint(fields=["year", "quarter", "staff", "matter"], name="role_swap_plan_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter} {self.staff} · {self.matter}"


class RoleSwapReport(TimeStampedModel):
    plan = models.OneToOneField(RoleSwapPlan, verbose_name=_("计划"), on_delete=models.PROTECT, related_name="report")
    done_on = models.DateField(_("体验日期"))
    what_was_done = ScrubbedTextField(_("体验过程"))
    minutes_taken = models.PositiveIntegerField(_("用时(分钟)"))
    window = models.ForeignKey(
        Window, verbose_name=_("主要涉及窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "staff_roleswapreport"  # kept from when the model was staff's
        verbose_name = _("换位体验报告")
        verbose_name_plural = _("换位体验报告")
        ordering = ["-done_on"]

    def __str__(self) -> str:
        return f"{self.plan} · {self.done_on}"


class RoleSwapFinding(TimeStampedModel):
    """A problem met during the experience; sent to the ledger in one step and linked back."""

    report = models.ForeignKey(
        RoleSwapReport, verbose_name=_("体验报告"), on_delete=models.CASCADE, related_name="findings"
    )
    category = models.CharField(_("问题类别"), max_length=20, choices=ProblemCategory.choices)
    title = ScrubbedCharField(_("问题"), max_length=200)
    description = ScrubbedTextField(_("问题表现"))
    problem = models.OneToOneField(
        "rectification.Problem",
        verbose_name=_("台账问题"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="role_swap_finding",
    )

    class Meta:
        db_table = "staff_roleswapfinding"  # kept from when the model was staff's
        verbose_name = _("体验发现的问题")
        verbose_name_plural = _("体验发现的问题")
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.title
