"""Writes for the knowledge base: drafting and versions, the review workflow, marks and review tasks.

Who may do what:
- edit / submit / retire: a liaison of the question's department, or a centre admin;
- department review (部门审核): a liaison of the department, a centre leader or admin;
- legal review (法制审核): a centre leader or admin (they sign for the justice bureau's review);
- nobody reviews a version they wrote themselves (four eyes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.selectors import matter_types_of
from govservice import access
from govservice.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from govservice.models import Centre
from govservice.selectors import departments_of
from staff.models import User

from .indexing import question_reindex
from .models import AnswerFeedback, Question, QuestionEvent, QuestionVariant, QuestionVersion, ReviewTask, Tag

S = Question.Status


@dataclass
class QuestionData:
    question: str
    answer: str
    department_id: int | None = None
    variants: list[str] = field(default_factory=list)
    policy_document: str = ""
    policy_article: str = ""
    policy_date: date | None = None
    policy_basis: str = ""
    policy_repealed_on: date | None = None
    procedure: str = ""
    materials: str = ""
    tags: list[str] = field(default_factory=list)
    matter_type_ids: list[int] = field(default_factory=list)
    needs_legal_review: bool = False
    valid_from: date | None = None
    valid_until: date | None = None

    def clean(self) -> None:
        self.question = self.question.strip()
        self.answer = self.answer.strip()
        if not self.question:
            raise ValidationFailed(_("请填写问题。"), field="question")
        if not self.answer:
            raise ValidationFailed(_("请填写答复。"), field="answer")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationFailed(_("失效日期不能早于生效日期。"), field="valid_until")
        self.variants = _unique(v.strip() for v in self.variants if v.strip() and v.strip() != self.question)
        self.tags = _unique(t.strip()[:30] for t in self.tags if t.strip())


CONTENT_FIELDS = (
    "question",
    "answer",
    "policy_document",
    "policy_article",
    "policy_date",
    "policy_basis",
    "policy_repealed_on",
    "procedure",
    "materials",
    "needs_legal_review",
    "valid_from",
    "valid_until",
)


def _unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))


# --- permissions --------------------------------------------------------------------------


def can_review(user: User, question: Question) -> bool:
    return access.can_review_question(
        user,
        centre_id=question.centre_id,
        department_id=question.department_id,
        legal_review=question.status == S.LEGAL_REVIEW,
    )


def _last_author_id(question: Question) -> int | None:
    version = question.versions.order_by("-number").first()
    return version.author_id if version else question.author_id


# --- content and versions -----------------------------------------------------------------


def _snapshot(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in CONTENT_FIELDS:
        value = getattr(question, name)
        data[name] = value.isoformat() if isinstance(value, date) else value
    data["department"] = question.department.name if question.department is not None else ""
    data["variants"] = list(question.variants.values_list("text", flat=True))
    data["tags"] = sorted(question.tags.values_list("name", flat=True))
    data["matter_types"] = sorted(question.matter_types.values_list("code", flat=True))
    return data


def _apply(question: Question, data: QuestionData) -> None:
    for name in CONTENT_FIELDS:
        setattr(question, name, getattr(data, name))
    question.department_id = data.department_id


def _write_relations(question: Question, data: QuestionData) -> None:
    question.variants.all().delete()
    QuestionVariant.objects.bulk_create(QuestionVariant(question=question, text=text[:300]) for text in data.variants)
    question.tags.set([Tag.objects.get_or_create(name=name)[0] for name in data.tags])
    question.matter_types.set(
        matter_types_of(centre_id=question.centre_id, active=False).filter(id__in=data.matter_type_ids)
    )


def _record_version(question: Question, *, actor: User | None, note: str) -> QuestionVersion:
    question.version += 1
    Question.objects.filter(pk=question.pk).update(version=question.version)
    return QuestionVersion.objects.create(
        question=question, number=question.version, author=actor, note=note[:200], snapshot=_snapshot(question)
    )


def _check_department(centre: Centre, department_id: int | None) -> None:
    if department_id is not None and not departments_of(centre=centre).filter(id=department_id).exists():
        raise ValidationFailed(_("部门不属于本中心。"), field="department")


@transaction.atomic
def question_create(*, centre: Centre, actor: User, data: QuestionData, note: str = "") -> Question:
    """A new draft, version 1, written by `actor`."""
    data.clean()
    _check_department(centre, data.department_id)
    if not access.can_edit_question(actor, centre_id=centre.id, department_id=data.department_id):
        raise NotPermitted(_("只有本部门联络员或中心管理员可以起草问答。"))
    question = Question(centre=centre, author=actor, status=S.DRAFT, status_changed_at=timezone.now())
    _apply(question, data)
    question.save()
    _write_relations(question, data)
    question_reindex(question)
    _record_version(question, actor=actor, note=note or _("新建"))
    return question


@transaction.atomic
def question_update(*, question_id: int, actor: User, data: QuestionData, note: str = "") -> Question:
    """Change a draft's content; a new version is recorded only when something changed.

    Published and in-review questions are not edited in place: a published one
    is changed through a revision (question_revise), a draft copy reviewed like
    any draft, so window staff keep seeing the reviewed text until the change
    is approved; one in review is sent back to draft first.
    """
    question = Question.objects.select_for_update().get(id=question_id)
    if not access.can_edit_question(actor, centre_id=question.centre_id, department_id=question.department_id):
        raise NotPermitted(_("只有本部门联络员或中心管理员可以修改问答。"))
    if question.status != S.DRAFT:
        message = (
            _("已发布的问答请通过“修订”修改：修订稿审核发布前，窗口人员照常看到原答复。")
            if question.status == S.PUBLISHED
            else _("只有草稿可以修改，请先退回草稿。")
        )
        raise InvalidTransition(current=question.status, requested=S.DRAFT, message=message)
    data.clean()
    _check_department(question.centre, data.department_id)
    if not access.can_edit_question(actor, centre_id=question.centre_id, department_id=data.department_id):
        raise NotPermitted(_("不能把问答转到您无权编辑的部门。"))
    before = _snapshot(question)
    _apply(question, data)
    question.save()
    _write_relations(question, data)
    if _snapshot(question) == before:
        return question
    question_reindex(question)
    _record_version(question, actor=actor, note=note or _("修改"))
    return question


def _copy_relations(source: Question, target: Question) -> None:
    target.variants.all().delete()
    QuestionVariant.objects.bulk_create(QuestionVariant(question=target, text=v.text) for v in source.variants.all())
    target.tags.set(source.tags.all())
    target.matter_types.set(source.matter_types.all())


def _copy_content(source: Question, target: Question) -> None:
    for name in CONTENT_FIELDS:
        setattr(target, name, getattr(source, name))
    target.department_id = source.department_id


def open_revision(question: Question) -> Question | None:
    """The revision of a published question still under way (draft or in review), if any."""
    return question.revisions.filter(merged_at__isnull=True).exclude(status=S.RETIRED).first()


@transaction.atomic
def question_revise(*, question_id: int, actor: User) -> Question:
    """Start a revision of a published question (or return the one under way): a draft copy of its content.

    The original stays published and searchable while the copy is edited and
    reviewed; publishing the copy merges it into the original.
    """
    original = Question.objects.select_for_update().get(id=question_id)
    if not access.can_edit_question(actor, centre_id=original.centre_id, department_id=original.department_id):
        raise NotPermitted(_("只有本部门联络员或中心管理员可以修改问答。"))
    if original.revision_of_id is not None:
        raise InvalidTransition(current=original.status, requested=S.DRAFT, message=_("这已是修订稿，请直接修改。"))
    if original.status != S.PUBLISHED:
        raise InvalidTransition(
            current=original.status, requested=S.DRAFT, message=_("只有已发布的问答需要修订稿，草稿可直接修改。")
        )
    existing = open_revision(original)
    if existing is not None:
        return existing
    copy = Question(centre_id=original.centre_id, author=actor, status=S.DRAFT, status_changed_at=timezone.now())
    copy.revision_of = original
    _copy_content(original, copy)
    copy.save()
    _copy_relations(original, copy)
    question_reindex(copy)
    _record_version(copy, actor=actor, note=_("修订第 %(n)d 版") % {"n": original.version})
    return copy


def _merge_revision(revision: Question, *, actor: User, note: str, approved_from: str) -> Question:
    """Publish a revision: its content goes into the original (a new version there), the copy is retired."""
    if revision.revision_of_id is None:
        raise ValueError(f"question {revision.id} is not a revision")  # callers pass revisions only
    original = Question.objects.select_for_update().get(id=revision.revision_of_id)
    now = timezone.now()
    written_by = _last_author_id(revision)
    _copy_content(revision, original)
    original.published_at = now
    fields = [*CONTENT_FIELDS, "department", "published_at", "updated_at"]
    events = [
        QuestionEvent(
            question=revision, old_status=approved_from, new_status=S.PUBLISHED, actor=actor, note=note[:300]
        ),
        QuestionEvent(
            question=revision,
            old_status=S.PUBLISHED,
            new_status=S.RETIRED,
            actor=actor,
            note=_("已并入原问答 #%(id)d。") % {"id": original.id},
        ),
    ]
    if original.status != S.PUBLISHED:  # taken offline while the revision was reviewed: back online
        events.append(
            QuestionEvent(
                question=original,
                old_status=original.status,
                new_status=S.PUBLISHED,
                actor=actor,
                note=_("修订稿 #%(id)d 审核发布。") % {"id": revision.id},
            )
        )
        original.status = S.PUBLISHED
        original.status_changed_at = now
        fields += ["status", "status_changed_at"]
    original.save(update_fields=fields)
    _copy_relations(revision, original)
    question_reindex(original)
    version = _record_version(
        original, actor=None, note=_("修订稿 #%(id)d 审核发布（审核人：%(who)s）") % {"id": revision.id, "who": actor}
    )
    QuestionVersion.objects.filter(pk=version.pk).update(author_id=written_by)
    QuestionEvent.objects.bulk_create(events)
    revision.status = S.RETIRED
    revision.status_changed_at = now
    revision.merged_at = now
    revision.save(update_fields=["status", "status_changed_at", "merged_at", "updated_at"])
    from .tasks import question_event_notify

    approval = QuestionEvent.objects.filter(question=revision, new_status=S.PUBLISHED).latest("id")
    transaction.on_commit(lambda: question_event_notify.delay(approval.id))
    return original


@transaction.atomic
def question_transition(*, question_id: int, to: str, actor: User, note: str = "") -> Question:
    question = Question.objects.select_for_update().select_related("centre").get(id=question_id)
    if to == question.status:
        return question
    if to not in Question.TRANSITIONS[question.status]:
        raise InvalidTransition(current=question.status, requested=to)
    current = question.status
    reviewing = current in Question.REVIEW_STATUSES
    if reviewing:
        if not can_review(actor, question):
            raise NotPermitted(_("您不是这一审核环节的审核人。"))
        if to != S.DRAFT and _last_author_id(question) == actor.id:
            raise NotPermitted(_("不能审核自己修改的版本。"))
        if to == S.DRAFT and not note.strip():
            raise ValidationFailed(_("退回时请写明原因。"), field="note")
        if current == S.IN_REVIEW and to == S.PUBLISHED and question.needs_legal_review:
            raise InvalidTransition(
                current=current, requested=to, message=_("该问答需法制审核，部门审核通过后转法制审核。")
            )
        if current == S.IN_REVIEW and to == S.LEGAL_REVIEW and not question.needs_legal_review:
            raise InvalidTransition(current=current, requested=to, message=_("该问答未标记需法制审核。"))
    elif not access.can_edit_question(actor, centre_id=question.centre_id, department_id=question.department_id):
        raise NotPermitted(_("只有本部门联络员或中心管理员可以提交或下线问答。"))
    now = timezone.now()
    if to == S.PUBLISHED and not question.is_current(timezone.localdate()):
        raise ValidationFailed(_("问答已过有效期或所依据政策已废止，不能发布。"))
    if question.revision_of_id is not None:
        if question.merged_at is not None or current == S.RETIRED:
            raise InvalidTransition(
                current=current, requested=to, message=_("修订稿已并入或已放弃；请从原问答重新发起修订。")
            )
        if to == S.PUBLISHED:
            return _merge_revision(question, actor=actor, note=note, approved_from=current)
    event = QuestionEvent.objects.create(
        question=question, old_status=current, new_status=to, actor=actor, note=note[:300]
    )
    question.status = to
    question.status_changed_at = now
    fields = ["status", "status_changed_at", "updated_at"]
    if to == S.PUBLISHED:
        question.published_at = now
        fields.append("published_at")
    question.save(update_fields=fields)
    from .tasks import question_event_notify

    transaction.on_commit(lambda: question_event_notify.delay(event.id))
    return question


# --- marks and review tasks ---------------------------------------------------------------


@transaction.atomic
def answer_mark(*, question: Question, user: User, verdict: str, comment: str = "") -> AnswerFeedback:
    """Record a member of staff's verdict; a wrong mark opens (or joins) the question's review task.

    `question` must come from a selector that already checked the user may see it.
    """
    if verdict not in AnswerFeedback.Verdict.values:
        raise ValidationFailed(_("请选择“有用”或“有误”。"), field="verdict")
    if verdict == AnswerFeedback.Verdict.WRONG and not comment.strip():
        raise ValidationFailed(_("标记有误时请说明哪里有误。"), field="comment")
    feedback, _created = AnswerFeedback.objects.update_or_create(
        question=question,
        user=user,
        defaults={
            "centre_id": question.centre_id,
            "verdict": verdict,
            "comment": comment.strip()[:500],
            "question_version": question.version,
            "marked_at": timezone.now(),
        },
    )
    if verdict == AnswerFeedback.Verdict.WRONG:
        reason = f"{user}: {feedback.comment}"
        task = ReviewTask.objects.select_for_update().filter(question=question, status=ReviewTask.Status.OPEN).first()
        if task is None:
            try:
                with transaction.atomic():
                    ReviewTask.objects.create(question=question, feedback=feedback, reason=reason[:500], raised_by=user)
                return feedback
            except IntegrityError:
                # A concurrent wrong mark opened the task first (one open task per question): join it.
                task = ReviewTask.objects.select_for_update().get(question=question, status=ReviewTask.Status.OPEN)
        if reason not in task.reason:
            task.reason = f"{task.reason}\n{reason}"[:500]
            task.save(update_fields=["reason", "updated_at"])
    return feedback


@transaction.atomic
def review_task_resolve(*, task_id: int, actor: User, resolution: str) -> ReviewTask:
    task = ReviewTask.objects.select_for_update().select_related("question").get(id=task_id)
    if task.status == ReviewTask.Status.DONE:
        return task
    if not can_review(actor, task.question) and not access.can_edit_question(
        actor, centre_id=task.question.centre_id, department_id=task.question.department_id
    ):
        raise NotPermitted()
    if not resolution.strip():
        raise ValidationFailed(_("请写明处理结果。"), field="resolution")
    task.status = ReviewTask.Status.DONE
    task.resolved_by = actor
    task.resolved_at = timezone.now()
    task.resolution = resolution.strip()[:500]
    task.save(update_fields=["status", "resolved_by", "resolved_at", "resolution", "updated_at"])
    return task
