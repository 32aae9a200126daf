"""Demo question bank (idempotent): ~60 published questions, a few in review, synonyms, a few marks."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cases.models import MatterType
from govservice.models import Centre, Department
from govservice.roles import ADMIN_ROLES, Role
from staff.demo import DemoContext
from staff.models import User

from .demo_data import PENDING, QUESTIONS, SYNONYMS
from .models import AnswerFeedback, Question, QuestionEvent, SynonymGroup
from .services import QuestionData, answer_mark, question_create, question_transition


def _data(entry: tuple, departments: dict[str, Department], centre: Centre) -> QuestionData:
    dept, question, variants, answer, (document, article, issued), materials, tags, matter_kw, legal = entry
    department = departments.get(dept) if dept else None
    matter_ids: list[int] = []
    if matter_kw and department:
        matter_ids = list(
            MatterType.objects.filter(centre=centre, department=department, name__contains=matter_kw).values_list(
                "id", flat=True
            )[:3]
        )
    return QuestionData(
        question=question,
        answer=answer,
        department_id=department.id if department else None,
        variants=list(variants),
        policy_document=document,
        policy_article=article,
        policy_date=issued,
        materials=materials,
        tags=list(tags),
        matter_type_ids=matter_ids,
        needs_legal_review=legal,
    )


@transaction.atomic
def load(ctx: DemoContext) -> None:
    for words in SYNONYMS:
        SynonymGroup.objects.get_or_create(words=words)
    for centre in Centre.objects.filter(code__in=["city", "gxq"]).order_by("code"):
        if Question.objects.filter(centre=centre).exists():
            continue
        admin = User.objects.filter(centre=centre, roles__role__in=list(ADMIN_ROLES)).order_by("username").first()
        if admin is None:
            continue
        departments = {d.code: d for d in Department.objects.filter(centre=centre)}
        # The district centre shares the city's bank but only the first questions of each department.
        entries = QUESTIONS if centre.code == "city" else QUESTIONS[::2]
        now = timezone.now()
        for entry in ctx.progress(entries, f"{centre.code} questions"):
            question = question_create(
                centre=centre, actor=admin, data=_data(entry, departments, centre), note="演示数据"
            )
            QuestionEvent.objects.create(
                question=question,
                old_status=question.status,
                new_status=Question.Status.PUBLISHED,
                actor=admin,
                note="导入已审核题库",
            )
            Question.objects.filter(id=question.id).update(
                status=Question.Status.PUBLISHED, status_changed_at=now, published_at=now
            )
        if centre.code != "city":
            continue
        liaisons = {
            u.department.code: u
            for u in User.objects.filter(centre=centre, roles__role=Role.LIAISON).select_related("department")
            if u.department
        }
        for index, entry in enumerate(PENDING):
            author = liaisons.get(entry[0]) or admin
            question = question_create(centre=centre, actor=author, data=_data(entry, departments, centre), note="新增")
            if index % 2 == 0:
                question_transition(question_id=question.id, to=Question.Status.IN_REVIEW, actor=author)
        # Some marks, so the accuracy rate and a wrong-answer task show up.
        staff = list(User.objects.filter(centre=centre, roles__role=Role.WINDOW_STAFF).order_by("username")[:12])
        published = list(Question.objects.filter(centre=centre, status=Question.Status.PUBLISHED).order_by("id")[:20])
        for person in staff:
            for question in ctx.rng.sample(published, 3):
                if AnswerFeedback.objects.filter(question=question, user=person).exists():
                    continue
                if ctx.rng.random() < 0.92:
                    answer_mark(question=question, user=person, verdict=AnswerFeedback.Verdict.HELPFUL)
                else:
                    answer_mark(
                        question=question,
                        user=person,
                        verdict=AnswerFeedback.Verdict.WRONG,
                        comment="材料清单与窗口最新要求不一致",
                    )
