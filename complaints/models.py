"""Citizen voices: channels, evaluations (好差评) and complaints. First cut."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govservice.crypto import EncryptedCharField
from rectification.models import Problem, ProblemCategory
from staff.models import Centre, Department, TimeStampedModel, Window


class Channel(TimeStampedModel):
    class Kind(models.TextChoices):
        WINDOW_DEVICE = "window_device", _("窗口评价器")
        QR_CODE = "qr_code", _("窗口二维码")
        PORTAL = "portal", _("网上办事大厅")
        HOTLINE = "hotline", _("12345热线")
        MOBILE_APP = "mobile_app", _("移动端/小程序")
        THIRD_PARTY = "third_party", _("第三方测评")
        CROSS_CHECK = "cross_check", _("内部交叉检查")
        SPOT_CHECK = "spot_check", _("明查暗访")
        LEADER_WINDOW = "leader_window", _("办不成事反映窗口")
        SMS_LINK = "sms_link", _("短信评价链接")

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    centres = models.ManyToManyField(Centre, verbose_name=_("服务中心"), related_name="channels")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("反馈渠道")
        verbose_name_plural = _("反馈渠道")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class EvaluationLevel(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


BAD_REVIEW_LEVELS = (EvaluationLevel.DISSATISFIED, EvaluationLevel.VERY_DISSATISFIED)


class Evaluation(TimeStampedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="evaluations")
    channel = models.ForeignKey(Channel, verbose_name=_("渠道"), on_delete=models.PROTECT, related_name="evaluations")
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluations"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被评价人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluations",
    )
    matter_type = models.ForeignKey(
        "cases.MatterType", verbose_name=_("事项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=pgettext_lazy("one case", "办件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluations",
    )
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=EvaluationLevel.choices)
    text = models.TextField(_("评价内容"), blank=True)
    tags = models.JSONField(_("评价标签"), default=list, blank=True)
    is_real_name = models.BooleanField(_("实名评价"), default=False)
    evaluator_name = models.CharField(_("评价人"), max_length=100, blank=True)
    evaluator_phone = EncryptedCharField(_("评价人电话"), blank=True)
    evaluator_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    external_id = models.CharField(_("渠道记录编号"), max_length=100, blank=True)
    excluded = models.BooleanField(_("不计入统计"), default=False, help_text=_("核实为误评、恶意差评或本人触发的评价"))
    excluded_reason = models.CharField(_("不计入原因"), max_length=200, blank=True)
    rated_at = models.DateTimeField(_("评价时间"))
    follow_up_of = models.OneToOneField(
        "self",
        verbose_name=_("追评对象"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_up",
    )

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价（好差评）")
        ordering = ["-rated_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="evaluation_level_1_to_5"),
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="evaluation_external_id_unique_per_channel",
            ),
            # 一事一评: one first rating per case; the follow-up (追评) hangs off it.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(case__isnull=False, follow_up_of__isnull=True),
                name="evaluation_once_per_case",
            ),
        ]
        indexes = [
            # Covering: the leader dashboard's satisfaction figures are read from the index alone,
            # without visiting the wide evaluation rows. Key columns rather than INCLUDE, which
            # SQLite (tests, development) would ignore with a warning; (centre, rated_at) leads.
            models.Index(
                fields=["centre", "rated_at", "window", "channel", "level", "excluded"],
                name="evaluation_centre_rated_cover",
            ),
            models.Index(fields=["staff", "rated_at"]),
            models.Index(fields=["window", "rated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.rated_at:%Y-%m-%d}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_REVIEW_LEVELS


class EvaluationDayCount(models.Model):
    """How many evaluations counted in the statistics (not excluded) a centre received on one
    local day (TIME_ZONE), by window, channel and level: the leader dashboard reads these few
    rows instead of scanning a million evaluations.

    Written only by database triggers on the evaluation table (govservice/rollups.py), in the
    same transaction as each insert, update and delete, whatever wrote the evaluation: a
    service, bulk_create, QuerySet.update(), a window's deletion setting `window` to NULL, raw
    SQL. `manage.py rebuild_dashboard_rollups` recomputes it from the evaluations.
    """

    # Plain integers to the database (no foreign-key constraints): a constraint would lock the
    # referenced centre, window and channel rows on every evaluation insert. The ORM relations
    # are kept for joins (the department of a window) and scoping; the unique key is the only index.
    centre = models.ForeignKey(
        Centre, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    window = models.ForeignKey(
        Window, null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    level = models.PositiveSmallIntegerField(choices=EvaluationLevel.choices)
    # The writing connection's shard of the counter (govservice/rollups.py): readers sum the
    # shards, and a shard may go below zero when another connection added what this one removes.
    shard = models.PositiveSmallIntegerField(db_default=0)
    n = models.IntegerField()

    class Meta:
        constraints = [
            # The triggers' ON CONFLICT target. A window of NULL is one key (COALESCE), not
            # distinct NULLs; (centre, day) lead, for the dashboard's range read; one row per shard.
            models.UniqueConstraint(
                models.F("centre"),
                models.F("day"),
                Coalesce(models.F("window"), models.Value(0)),
                models.F("channel"),
                models.F("level"),
                models.F("shard"),
                name="evaluation_day_count_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day} {self.window_id} {self.channel_id} {self.level}: {self.n}"


class Complaint(TimeStampedModel):
    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉")
        SUGGESTION = "suggestion", _("建议")

    class Status(models.TextChoices):
        RECEIVED = "received", _("已受理")
        ASSIGNED = "assigned", _("已分派")
        REPLIED = "replied", _("已答复")
        CLOSED = "closed", _("已办结")
        REOPENED = "reopened", _("重新办理")
        MERGED = "merged", _("已合并")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.RECEIVED: frozenset({Status.ASSIGNED, Status.REPLIED, Status.MERGED}),
        Status.ASSIGNED: frozenset({Status.REPLIED, Status.MERGED}),
        Status.REPLIED: frozenset({Status.CLOSED, Status.REOPENED}),
        Status.REOPENED: frozenset({Status.ASSIGNED, Status.REPLIED}),
        Status.CLOSED: frozenset(),
        Status.MERGED: frozenset(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_no = models.CharField(_("编号"), max_length=30, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="complaints")
    channel = models.ForeignKey(Channel, verbose_name=_("渠道"), on_delete=models.PROTECT, related_name="complaints")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.COMPLAINT)
    content = models.TextField(_("内容"))
    contact_name = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_phone = EncryptedCharField(_("联系电话"), blank=True)
    contact_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    category = models.CharField(_("问题类别"), max_length=20, choices=ProblemCategory.choices, blank=True)
    window = models.ForeignKey(
        Window, verbose_name=_("涉及窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("涉及人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_about",
    )
    matter_type = models.ForeignKey(
        "cases.MatterType", verbose_name=_("事项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("承办部门"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_complaints",
    )
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("关联台账问题"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    external_id = models.CharField(_("渠道记录编号"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("受理时间"))
    evaluation = models.ForeignKey(
        Evaluation,
        verbose_name=_("来源评价"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    reply = models.TextField(_("答复内容"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    callback_satisfied = models.BooleanField(_("回访满意"), null=True, blank=True)
    callback_note = models.TextField(_("回访情况"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_sources",
    )

    class Meta:
        verbose_name = _("投诉建议")
        verbose_name_plural = _("投诉建议")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="complaint_external_id_unique_per_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "received_at"]),
            models.Index(fields=["centre", "category"]),
            models.Index(fields=["centre", "status"]),
        ]

    def __str__(self) -> str:
        return self.tracking_no

    def get_absolute_url(self) -> str:
        return reverse("complaints:complaint-detail", args=[self.public_id])


class ComplaintDayCount(models.Model):
    """How many complaints a centre received on one local day, by category, department and window.

    Kept by database triggers on the complaint table like `EvaluationDayCount` (govservice/rollups.py).
    """

    centre = models.ForeignKey(
        Centre, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    category = models.CharField(max_length=20, choices=ProblemCategory.choices, blank=True)
    department = models.ForeignKey(
        Department, null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    window = models.ForeignKey(
        Window, null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # The writing connection's shard of the counter (govservice/rollups.py): readers sum the
    # shards, and a shard may go below zero when another connection added what this one removes.
    shard = models.PositiveSmallIntegerField(db_default=0)
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                models.F("centre"),
                models.F("day"),
                models.F("category"),
                Coalesce(models.F("department"), models.Value(0)),
                Coalesce(models.F("window"), models.Value(0)),
                models.F("shard"),
                name="complaint_day_count_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day} {self.category} {self.department_id} {self.window_id}: {self.n}"


class ComplaintEvent(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("投诉记录")
        verbose_name_plural = _("投诉记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.old_status} → {self.new_status}"


# --- Additions for issue 4: policies, tags, the bad-review flow, escalations, invitations ---


class FeedbackPolicy(TimeStampedModel):
    """Per-centre numbers of practice; a centre without a row uses the defaults below."""

    centre = models.OneToOneField(
        Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="feedback_policy"
    )
    contact_days = models.PositiveSmallIntegerField(_("差评联系时限(工作日)"), default=1)
    rectify_days = models.PositiveSmallIntegerField(_("差评整改时限(工作日)"), default=5)
    complex_rectify_days = models.PositiveSmallIntegerField(_("复杂差评整改时限(工作日)"), default=15)
    general_escalation_days = models.PositiveSmallIntegerField(_("办不成事一般事项时限(工作日)"), default=2)
    complex_escalation_days = models.PositiveSmallIntegerField(_("办不成事复杂事项时限(工作日)"), default=5)
    invite_period_days = models.PositiveSmallIntegerField(
        _("短信评价邀请间隔(天)"), default=30, help_text=_("同一手机号在此期间内最多收到一次评价邀请")
    )
    duplicate_window_days = models.PositiveSmallIntegerField(_("重复投诉判定天数"), default=7)

    class Meta:
        verbose_name = _("评价与投诉时限设置")
        verbose_name_plural = _("评价与投诉时限设置")

    def __str__(self) -> str:
        return str(self.centre)

    @classmethod
    def for_centre(cls, centre: Centre) -> FeedbackPolicy:
        policy = cls.objects.filter(centre=centre).first()
        return policy or cls(centre=centre)


class EvaluationTag(models.Model):
    """A level-specific tag offered on the rating page (e.g. offline: efficiency, competence, attitude)."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    label = models.CharField(_("名称"), max_length=50)
    levels = models.JSONField(_("适用等级"), default=list, help_text=_("如 [1, 2] 表示只在差评时出现"))
    category = models.CharField(_("对应问题类别"), max_length=20, choices=ProblemCategory.choices, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("评价标签")
        verbose_name_plural = _("评价标签")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label


class EvaluationEvent(models.Model):
    """History of an evaluation: submitted, excluded, follow-up, and every bad-review step."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评价记录")
        verbose_name_plural = _("评价记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.action}"


class BadReview(TimeStampedModel):
    """The handling flow a bad review (level ≤ 2) opens: contact, verify, rectify, call back; or appeal."""

    class Status(models.TextChoices):
        OPEN = "open", _("待联系")
        CONTACTED = "contacted", _("已联系待核实")
        RECTIFYING = "rectifying", _("整改中")
        RECTIFIED = "rectified", _("已整改待回访")
        APPEALED = "appealed", _("申诉复核中")
        CLOSED = "closed", _("已办结")
        EXCLUDED = "excluded", _("复核认定无效")

    class Verdict(models.TextChoices):
        TRUE = "true", _("属实")
        PARTLY = "partly", _("部分属实")
        UNTRUE = "untrue", _("不属实")
        MISTAKEN = "mistaken", _("误评")
        MALICIOUS = "malicious", _("恶意差评")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.OPEN: frozenset({Status.CONTACTED}),
        Status.CONTACTED: frozenset({Status.RECTIFYING, Status.RECTIFIED, Status.APPEALED}),
        Status.RECTIFYING: frozenset({Status.RECTIFIED}),
        Status.RECTIFIED: frozenset({Status.CLOSED}),
        Status.APPEALED: frozenset({Status.EXCLUDED, Status.RECTIFYING}),
        Status.CLOSED: frozenset(),
        Status.EXCLUDED: frozenset(),
    }
    APPEALABLE_VERDICTS: ClassVar[frozenset[str]] = frozenset({Verdict.MISTAKEN, Verdict.MALICIOUS})

    evaluation = models.OneToOneField(
        Evaluation, verbose_name=_("评价"), on_delete=models.CASCADE, related_name="bad_review"
    )
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="bad_reviews")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_bad_reviews",
    )
    verdict = models.CharField(_("核实结论"), max_length=20, choices=Verdict.choices, blank=True)
    verify_note = models.TextField(_("核实情况"), blank=True)
    is_complex = models.BooleanField(_("复杂问题"), default=False)
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("台账问题"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bad_reviews",
    )
    contact_due = models.DateField(_("联系时限"))
    rectify_due = models.DateField(_("整改时限"))
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    rectification = models.TextField(_("整改措施"), blank=True)
    rectified_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    callback_note = models.TextField(_("回访情况"), blank=True)
    callback_satisfied = models.BooleanField(_("回访满意"), null=True, blank=True)
    appeal_reason = models.TextField(_("申诉理由"), blank=True)
    appeal_decision = models.TextField(_("复核意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    contact_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    rectify_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("差评处置")
        verbose_name_plural = _("差评处置")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["centre", "status"])]

    def __str__(self) -> str:
        return f"{self.evaluation} · {self.get_status_display()}"


class Escalation(TimeStampedModel):
    """A matter brought to the "could not get it done" window (办不成事反映窗口)."""

    class Kind(models.TextChoices):
        GENERAL = "general", _("一般问题")
        COMPLEX = "complex", _("复杂问题")

    class Reason(models.TextChoices):
        POLICY = "policy", _("政策不明确")
        COORDINATION = "coordination", _("部门协调不畅")
        HISTORY = "history", _("历史遗留问题")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        RECEIVED = "received", _("已登记")
        IN_PROGRESS = "in_progress", _("办理中")
        RESOLVED = "resolved", _("已解决")
        UNRESOLVED = "unresolved", _("未能解决")
        CLOSED = "closed", _("已回访办结")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.RECEIVED: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.UNRESOLVED}),
        Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.UNRESOLVED}),
        Status.RESOLVED: frozenset({Status.CLOSED}),
        Status.UNRESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
        Status.CLOSED: frozenset(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_no = models.CharField(_("编号"), max_length=30, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="escalations")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices, default=Reason.OTHER)
    citizen_name = models.CharField(_("反映人"), max_length=100, blank=True)
    citizen_phone = EncryptedCharField(_("联系电话"), blank=True)
    citizen_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    matter_type = models.ForeignKey(
        "cases.MatterType", verbose_name=_("事项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content = models.TextField(_("反映内容"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接待领导"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("登记时间"))
    due_date = models.DateField(_("答复时限"))
    due_is_provisional = models.BooleanField(_("时限按未公布日历推算"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    report = models.TextField(_("专题报告"), blank=True)
    outcome = models.TextField(_("办理结果"), blank=True)
    solved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("群众满意度"), choices=EvaluationLevel.choices, null=True, blank=True
    )
    overdue_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("办不成事反映")
        verbose_name_plural = _("办不成事反映")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["centre", "status"]), models.Index(fields=["centre", "solved_at"])]

    def __str__(self) -> str:
        return self.tracking_no


class EscalationDepartment(models.Model):
    """A department involved in a (complex) escalation: its part and its answer."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="departments")
    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+")
    part = models.TextField(_("承担工作"))
    answer = models.TextField(_("部门答复"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("参与部门")
        verbose_name_plural = _("参与部门")
        constraints = [
            models.UniqueConstraint(fields=["escalation", "department"], name="escalation_department_once"),
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id} · {self.department}"


class EscalationEvent(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.escalation_id}: {self.old_status} → {self.new_status}"


class DutySlot(models.Model):
    """The regular rota of the escalation window: a leader on a weekday half-day."""

    class Half(models.TextChoices):
        MORNING = "am", _("上午")
        AFTERNOON = "pm", _("下午")

    class Weekday(models.IntegerChoices):
        MON = 0, _("周一")
        TUE = 1, _("周二")
        WED = 2, _("周三")
        THU = 3, _("周四")
        FRI = 4, _("周五")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="duty_slots")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    half = models.CharField(_("时段"), max_length=2, choices=Half.choices, default=Half.MORNING)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("值班领导"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("领导值班安排")
        verbose_name_plural = _("领导值班安排")
        ordering = ["centre", "weekday", "half"]
        constraints = [models.UniqueConstraint(fields=["centre", "weekday", "half"], name="duty_slot_once")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()}{self.get_half_display()} · {self.leader}"


class DutySwap(models.Model):
    """One date on which another leader takes the slot (调班)."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="duty_swaps")
    date = models.DateField(_("日期"))
    half = models.CharField(_("时段"), max_length=2, choices=DutySlot.Half.choices, default=DutySlot.Half.MORNING)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("替班领导"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("值班调换")
        verbose_name_plural = _("值班调换")
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["centre", "date", "half"], name="duty_swap_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_half_display()} · {self.leader}"


class EvaluationInvitation(TimeStampedModel):
    """A personal, tokenised SMS link to rate one completed case without login."""

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=pgettext_lazy("one case", "办件"),
        on_delete=models.CASCADE,
        related_name="evaluation_invitation",
    )
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    phone_hash = models.CharField(max_length=64, db_index=True)
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")

    def __str__(self) -> str:
        return f"{self.case_id}"
