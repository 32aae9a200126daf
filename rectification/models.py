"""The rectification ledger (整改台账): problems, measures, close-out (销号). First cut."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import PurePosixPath
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.categories import ProblemCategory
from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.models import Centre, Department, TimeStampedModel
from govservice.sealed import ScrubbedCharField, ScrubbedTextField
from govservice.uploads import import_storage
from staff.models import Window


class ProblemSource(models.TextChoices):
    SELF_INSPECTION = "self_inspection", _("自查自纠")
    COMPLAINT = "complaint", _("群众投诉")
    BAD_REVIEW = "bad_review", _("差评")
    CROSS_CHECK = "cross_check", _("内部交叉检查")
    THIRD_PARTY = "third_party", _("第三方测评")
    ROLE_SWAP = "role_swap", _("换位体验")
    SPOT_CHECK = "spot_check", _("明查暗访")
    LEADER_WINDOW = "leader_window", _("办不成事反映窗口")


class Problem(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        IN_RECTIFICATION = "in_rectification", _("整改中")
        CLOSE_OUT_APPLIED = "close_out_applied", _("申请销号")
        CLOSED = "closed", _("已销号")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.OPEN: frozenset({Status.IN_RECTIFICATION}),
        Status.IN_RECTIFICATION: frozenset({Status.CLOSE_OUT_APPLIED}),
        Status.CLOSE_OUT_APPLIED: frozenset({Status.CLOSED, Status.IN_RECTIFICATION}),
        Status.CLOSED: frozenset({Status.IN_RECTIFICATION}),  # 回头看 found it came back
    }

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="problems")
    code = models.CharField(_("问题编号"), max_length=20)
    category = models.CharField(_("问题类别"), max_length=20, choices=ProblemCategory.choices)
    title = models.CharField(_("问题名称"), max_length=200)
    description = ScrubbedTextField(_("问题表现"))
    source = models.CharField(_("问题来源"), max_length=20, choices=ProblemSource.choices)
    window = models.ForeignKey(
        Window, verbose_name=_("涉及窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="problems"
    )
    found_on = models.DateField(_("发现日期"))
    responsible_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任领导"), on_delete=models.PROTECT, related_name="+"
    )
    responsible_department = models.ForeignKey(
        Department, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    recheck_on = models.DateField(_("回头看日期"), null=True, blank=True)
    close_out_applied_at = models.DateTimeField(_("申请销号时间"), null=True, blank=True)
    close_out_applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("验收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rechecked_at = models.DateTimeField(_("回头看完成时间"), null=True, blank=True)
    recurrence_flagged_at = models.DateTimeField(_("疑似反弹标记时间"), null=True, blank=True)
    recurrence_note = ScrubbedCharField(_("疑似反弹说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题清单")
        ordering = ["centre", "code"]
        constraints = [models.UniqueConstraint(fields=["centre", "code"], name="problem_code_unique_per_centre")]
        indexes = [models.Index(fields=["centre", "status"]), models.Index(fields=["centre", "category"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("rectification:problem-detail", args=[self.pk])


class Measure(PlainConstraintErrors, TimeStampedModel):
    problem = models.ForeignKey(Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="measures")
    description = ScrubbedTextField(_("整改措施"))
    owner_department = models.ForeignKey(
        Department, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="measures"
    )
    deadline = models.DateField(_("整改时限"))
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    start_on = models.DateField(_("起算日期"), null=True, blank=True)
    working_days = models.PositiveSmallIntegerField(
        _("工作日时限"), null=True, blank=True, help_text=_("填写后，整改时限 = 起算日期 + N 个工作日")
    )
    deadline_provisional = models.BooleanField(
        _("时限暂定"), default=False, help_text=_("所跨年份的节假日安排尚未公布")
    )
    milestones = models.JSONField(
        _("节点"), default=list, blank=True, help_text=_('[{"title": ..., "due": "YYYY-MM-DD", "done": false}]')
    )
    near_due_warned_at = models.DateTimeField(_("临期提醒时间"), null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("逾期标记时间"), null=True, blank=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "measure_progress_at_most_100": ConstraintMessage("progress", lambda obj: _("进度不能超过 100%。")),
        "measure_weight_positive": ConstraintMessage("weight", lambda obj: _("权重至少为 1。")),
    }

    class Meta:
        verbose_name = _("整改措施")
        verbose_name_plural = _("整改措施")
        ordering = ["problem", "deadline", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="measure_progress_at_most_100"),
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="measure_weight_positive"),
        ]
        indexes = [models.Index(fields=["deadline", "completed_at"])]

    def __str__(self) -> str:
        return self.description[:40]

    def is_overdue(self, today: date) -> bool:
        return self.completed_at is None and self.deadline < today


class ProgressUpdate(models.Model):
    """One dated progress report on a measure (整改进展). Append-only."""

    measure = models.ForeignKey(Measure, verbose_name=_("整改措施"), on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填报人"), on_delete=models.PROTECT, related_name="+"
    )
    text = ScrubbedTextField(_("进展情况"))
    percentage = models.PositiveSmallIntegerField(_("完成进度(%)"))
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改进展")
        verbose_name_plural = _("整改进展")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(percentage__lte=100), name="progress_update_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} {self.percentage}%"


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    # A fresh UUID per file: an upload never replaces an earlier one, whatever its name.
    suffix = PurePosixPath(filename).suffix.lower()
    return f"rectification/evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class EvidenceFile(models.Model):
    """A piece of evidence (佐证材料) stored through Django's storage API, never overwritten."""

    problem = models.ForeignKey(Problem, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="evidence")
    update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("整改进展"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="files",
    )
    file = models.FileField(_("文件"), upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小(字节)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ProblemEvent(models.Model):
    """History of a problem: every status move and every edit, with the actor."""

    class Kind(models.TextChoices):
        CREATED = "created", _("登记")
        TRANSITION = "transition", _("状态变更")
        EDIT = "edit", _("修改")
        MEASURE = "measure", _("整改措施")
        PROGRESS = "progress", _("整改进展")
        EVIDENCE = "evidence", _("佐证材料")
        RECHECK = "recheck", _("回头看")
        RECURRENCE = "recurrence", _("疑似反弹")
        RECURRENCE_CONFIRMED = "recurrence_confirmed", _("确认反弹")
        RECURRENCE_DISMISSED = "recurrence_dismissed", _("排除反弹")
        OVERDUE = "overdue", _("逾期")
        PUBLISHED = "published", _("公示承诺")
        WITHDRAWN = "withdrawn", _("撤回公示")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices, default=Kind.TRANSITION)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = ScrubbedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("问题记录")
        verbose_name_plural = _("问题记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id}: {self.old_status} → {self.new_status}"

    @property
    def old_status_label(self) -> str:
        return str(Problem.Status(self.old_status).label) if self.old_status in Problem.Status.values else ""

    @property
    def new_status_label(self) -> str:
        return str(Problem.Status(self.new_status).label) if self.new_status in Problem.Status.values else ""


class PublicCommitment(models.Model):
    """A problem a leader has made public on the centre's commitment board (承诺公示).

    The row exists while the problem is public; withdrawing deletes it (the problem's history keeps both).
    The commitment is the leader's public wording; nothing else on the board is written for the public,
    so the board passes every text through `rectification.board.public_wording`.
    """

    problem = models.OneToOneField(
        Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="public_commitment"
    )
    commitment = ScrubbedTextField(_("公开承诺"), max_length=1000)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("公示人"), on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("公示时间"))

    class Meta:
        verbose_name = _("公示承诺")
        verbose_name_plural = _("公示承诺")
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return f"{self.problem_id}: {self.commitment[:40]}"


class RecurrenceSuggestion(models.Model):
    """A voice heard after a close-out that may show the problem is back (疑似反弹): a suggestion only,
    which a leader confirms (the problem re-opens) or dismisses. One per problem and voice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认反弹")
        DISMISSED = "dismissed", _("已排除")

    problem = models.ForeignKey(
        Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="recurrence_suggestions"
    )
    voice_kind = models.CharField(_("来源"), max_length=20)
    voice_ref = models.CharField(_("投诉或评价"), max_length=40)
    voice_at = models.DateTimeField(_("受理时间"))
    reasons = models.JSONField(_("匹配依据"), default=list)
    similarity = models.FloatField(_("文本相似度"), default=0)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("疑似反弹")
        verbose_name_plural = _("疑似反弹")
        ordering = ["-voice_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "voice_ref"], name="recurrence_one_per_problem_and_voice")
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} ← {self.voice_ref}"


class LedgerImport(TimeStampedModel):
    """One uploaded ledger (.xlsx): read and compared with the ledger by a task on the imports queue; the
    changes are shown as a preview and applied, all or none, only when the uploader confirms them.

    The upload is never parsed in the web request (two parallel uploads of one 1.1 MB file once took
    the site down for a minute); the page polls this row until the task is done.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        PREVIEW = "preview", _("待确认")
        CONFIRMED = "confirmed", _("已确认，导入中")
        APPLYING = "applying", _("导入中")
        DONE = "done", _("已导入")
        REJECTED = "rejected", _("有错误，未导入")
        FAILED = "failed", _("无法导入")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    # Deleted as soon as the import is processed, whatever the outcome: then empty.
    file = models.FileField(_("文件"), upload_to="rectification/imports/%Y/%m/", storage=import_storage, blank=True)
    file_name = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    created_count = models.PositiveIntegerField(_("导入问题数"), default=0)
    # [{"row": n, "column": "...", "message": "..."}]; row 0: about the whole file.
    errors = models.JSONField(_("错误"), default=list, blank=True)
    # The changes found (rectification/roundtrip.py), shown as the preview and applied on confirmation.
    plan = models.JSONField(_("变更"), default=list, blank=True)
    change_count = models.PositiveIntegerField(_("变更数"), default=0)
    updated_count = models.PositiveIntegerField(_("更新问题数"), default=0)
    # The uploader's language: the task writes the errors in it.
    language = models.CharField(_("语言"), max_length=10, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def running(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING, self.Status.CONFIRMED, self.Status.APPLYING}
