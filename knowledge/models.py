"""Policy Q&A knowledge base (政务服务智能问答库).

A question is drafted by a department liaison, reviewed by the department (and by
legal review where marked), then published; every content change is a
QuestionVersion row, every status change a QuestionEvent row.

Search index: `title_tokens` / `body_tokens` hold the space-joined jieba words of
the question (question, variants, tags) and of its body (answer, basis,
procedure, materials). On PostgreSQL a generated `search_vector` tsvector column
with a GIN index is built from them by a migration (not in Django's model state);
every other database uses the QuestionToken table.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govservice.models import Centre, Department, TimeStampedModel
from govservice.sealed import ScrubbedCharField
from govservice.uploads import import_storage


class Tag(models.Model):
    name = models.CharField(_("名称"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SynonymGroup(TimeStampedModel):
    """Words staff and citizens use for the same thing (营业执照 / 执照); a query for one finds all."""

    words = models.CharField(_("同义词"), max_length=300, help_text=_("用空格或逗号分隔，如：营业执照 执照 营业证"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("同义词组")
        verbose_name_plural = _("同义词与俗称")
        ordering = ["words"]

    def __str__(self) -> str:
        return self.words

    @property
    def word_list(self) -> list[str]:
        return split_words(self.words)


def split_words(text: str) -> list[str]:
    import re

    seen: dict[str, None] = {}
    for word in re.split(r"[\s,，、;；/|]+", text or ""):
        word = word.strip().lower()
        if word:
            seen.setdefault(word, None)
    return list(seen)


class Question(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        IN_REVIEW = "in_review", _("部门审核中")
        LEGAL_REVIEW = "legal_review", _("法制审核中")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已下线")

    # Department review approves straight to published unless the question needs legal review.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.DRAFT: frozenset({Status.IN_REVIEW, Status.RETIRED}),
        Status.IN_REVIEW: frozenset({Status.LEGAL_REVIEW, Status.PUBLISHED, Status.DRAFT}),
        Status.LEGAL_REVIEW: frozenset({Status.PUBLISHED, Status.DRAFT}),
        Status.PUBLISHED: frozenset({Status.DRAFT, Status.RETIRED}),
        Status.RETIRED: frozenset({Status.DRAFT}),
    }
    REVIEW_STATUSES: ClassVar[frozenset[str]] = frozenset({Status.IN_REVIEW, Status.LEGAL_REVIEW})

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="questions")
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="questions"
    )
    question = models.CharField(pgettext_lazy("question", "问题"), max_length=300)
    answer = models.TextField(_("答复"))
    policy_basis = models.TextField(_("政策依据"), blank=True)
    policy_document = models.CharField(_("政策文件名称"), max_length=200, blank=True)
    policy_article = models.CharField(_("条款"), max_length=100, blank=True)
    policy_date = models.DateField(_("文件日期"), null=True, blank=True)
    policy_repealed_on = models.DateField(
        _("政策废止日期"), null=True, blank=True, help_text=_("所依据的政策已废止时填写；废止后答复不再向窗口人员展示")
    )
    procedure = models.TextField(_("办理流程"), blank=True)
    materials = models.TextField(_("所需材料"), blank=True)
    matter_types = models.ManyToManyField(
        "cases.MatterType", verbose_name=_("关联事项"), blank=True, related_name="questions"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="questions")
    needs_legal_review = models.BooleanField(_("需法制审核"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("起草人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=0)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # A revision of a published question is a draft copy of its own that goes through the same
    # review; window staff keep seeing the published original meanwhile, and on approval the
    # copy's content is merged into the original (same id, marks and history) and the copy retired.
    revision_of = models.ForeignKey(
        "self",
        verbose_name=_("修订自"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="revisions",
        help_text=_("已发布问答的修订稿：审核发布后内容并入原问答；审核期间窗口人员照常看到原问答。"),
    )
    merged_at = models.DateTimeField(_("并入时间"), null=True, blank=True)
    title_tokens = models.TextField(_("问题分词"), blank=True, editable=False)
    body_tokens = models.TextField(_("正文分词"), blank=True, editable=False)
    normalized_forms = models.TextField(_("规范化问法"), blank=True, editable=False)

    class Meta:
        verbose_name = _("问答")
        verbose_name_plural = _("政策问答库")
        ordering = ["centre", "question"]
        indexes = [
            models.Index(fields=["centre", "status"]),
            models.Index(fields=["department", "status"]),
        ]
        constraints = [
            # One open revision per published question (a merged or discarded one no longer counts).
            models.UniqueConstraint(
                fields=["revision_of"],
                condition=models.Q(revision_of__isnull=False, merged_at__isnull=True) & ~models.Q(status="retired"),
                name="question_one_open_revision",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="question_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.question

    def get_absolute_url(self) -> str:
        return reverse("knowledge:question", args=[self.pk])

    @property
    def is_revision(self) -> bool:
        return self.revision_of_id is not None

    def is_current(self, on: date) -> bool:
        """Within its validity dates and not based on a repealed policy."""
        if self.valid_from and self.valid_from > on:
            return False
        if self.valid_until and self.valid_until < on:
            return False
        return not (self.policy_repealed_on and self.policy_repealed_on <= on)

    @property
    def policy_citation(self) -> str:
        parts = [f"《{self.policy_document}》" if self.policy_document else "", self.policy_article]
        if self.policy_date:
            parts.append(f"({self.policy_date:%Y-%m-%d})")
        return " ".join(part for part in parts if part)


class QuestionVariant(models.Model):
    """Another way citizens ask the same question (相似问法)."""

    question = models.ForeignKey(Question, verbose_name=_("问答"), on_delete=models.CASCADE, related_name="variants")
    text = models.CharField(_("相似问法"), max_length=300)

    class Meta:
        verbose_name = _("相似问法")
        verbose_name_plural = _("相似问法")
        ordering = ["question", "id"]

    def __str__(self) -> str:
        return self.text


class QuestionToken(models.Model):
    """The search index outside PostgreSQL: one row per (question, word); weight 3 = in the question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="index_tokens")
    token = models.CharField(max_length=40)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("检索词")
        verbose_name_plural = _("检索词")
        constraints = [models.UniqueConstraint(fields=["question", "token"], name="question_token_unique")]
        indexes = [models.Index(fields=["token", "question"])]

    def __str__(self) -> str:
        return self.token


class QuestionVersion(models.Model):
    """A snapshot of a question's content after each change, with who made it."""

    question = models.ForeignKey(Question, verbose_name=_("问答"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    snapshot = models.JSONField(_("内容"))

    class Meta:
        verbose_name = _("问答版本")
        verbose_name_plural = _("问答版本")
        ordering = ["question", "-number"]
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="question_version_unique")]

    def __str__(self) -> str:
        return f"{self.question_id} v{self.number}"


class QuestionEvent(models.Model):
    """One status change of a question: the workflow's history."""

    question = models.ForeignKey(Question, verbose_name=_("问答"), on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(_("原状态"), max_length=20, choices=Question.Status.choices)
    new_status = models.CharField(_("新状态"), max_length=20, choices=Question.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["question", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.old_status} → {self.new_status}"


class AnswerFeedback(models.Model):
    """A member of staff's verdict on an answer; one per person and question (a second mark replaces it)."""

    class Verdict(models.TextChoices):
        HELPFUL = "helpful", _("有用")
        WRONG = "wrong", _("有误")

    question = models.ForeignKey(Question, verbose_name=_("问答"), on_delete=models.CASCADE, related_name="feedback")
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("标记人"), on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(pgettext_lazy("answer mark", "评价"), max_length=10, choices=Verdict.choices)
    comment = ScrubbedCharField(_("说明"), max_length=500, blank=True)
    question_version = models.PositiveIntegerField(_("答复版本"), default=0)
    marked_at = models.DateTimeField(_("标记时间"))

    class Meta:
        verbose_name = _("答复评价")
        verbose_name_plural = _("答复评价")
        constraints = [models.UniqueConstraint(fields=["question", "user"], name="answer_feedback_once_per_user")]
        indexes = [models.Index(fields=["centre", "marked_at"])]

    def __str__(self) -> str:
        return f"{self.question_id} {self.verdict}"


class ReviewTask(TimeStampedModel):
    """Something a department must look at: an answer marked wrong."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        DONE = "done", _("已处理")

    question = models.ForeignKey(
        Question, verbose_name=_("问答"), on_delete=models.CASCADE, related_name="review_tasks"
    )
    feedback = models.ForeignKey(
        AnswerFeedback,
        verbose_name=pgettext_lazy("answer mark", "评价"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    reason = models.CharField(_("原因"), max_length=500)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution = models.CharField(_("处理说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("复核任务")
        verbose_name_plural = _("复核任务")
        ordering = ["status", "created_at"]
        constraints = [
            # One open task per question: a second wrong mark joins the open one.
            models.UniqueConstraint(
                fields=["question"], condition=models.Q(status="open"), name="review_task_one_open_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question} · {self.get_status_display()}"


class SearchMiss(models.Model):
    """A search with no good answer, once per person, query and day: what the base is missing."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检索人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    query = ScrubbedCharField(_("检索词"), max_length=200)
    normalized = ScrubbedCharField(_("规范化检索词"), max_length=200)
    day = models.DateField(_("日期"))
    result_count = models.PositiveIntegerField(_("结果数"), default=0)

    class Meta:
        verbose_name = _("未解答检索")
        verbose_name_plural = _("未解答检索")
        constraints = [
            models.UniqueConstraint(fields=["centre", "user", "normalized", "day"], name="search_miss_once_per_day")
        ]
        indexes = [models.Index(fields=["centre", "day"])]

    def __str__(self) -> str:
        return self.query


class ReviewReminder(models.Model):
    """A reminder sent about a question or task that waited too long; the natural key makes sending idempotent."""

    key = models.CharField(max_length=120, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("审核提醒")
        verbose_name_plural = _("审核提醒")

    def __str__(self) -> str:
        return self.key


class ImportBatch(TimeStampedModel):
    """One Excel question bank upload: validated row by row, written all at once or not at all."""

    class Status(models.TextChoices):
        PENDING = "pending", _("等待中")
        VALIDATING = "validating", _("校验中")
        IMPORTING = "importing", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("未导入")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    # Deleted as soon as the batch is processed, whatever the outcome: then empty.
    file = models.FileField(_("文件"), upload_to="knowledge/imports/", storage=import_storage, blank=True)
    file_name = models.CharField(_("文件名"), max_length=200)
    publish = models.BooleanField(_("直接发布"), default=False)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("导入条数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)

    class Meta:
        verbose_name = _("题库导入")
        verbose_name_plural = _("题库导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0 if self.status != self.Status.DONE else 100
        return min(100, round(100 * self.processed_rows / self.total_rows))
