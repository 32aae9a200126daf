"""Recurrence after close-out (疑似反弹): the periodic check suggests, a leader confirms or dismisses.

The check (`problems_flag_recurrence`, Celery beat) asks the registered providers (complaints) for the
voices each centre heard since its problems were closed out and matches them with rectification/
recurrence.py: a voice suggests at most its best-matching closed problem, once (a unique row per problem
and voice, so running the check again changes nothing). A suggestion is not a decision: the leader
confirms it (the problem re-opens through `problem_transition`) or dismisses it, each with a history row.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from govservice import access
from govservice.exceptions import Conflict, NotFound, NotPermitted
from notifications.services import notice_text
from staff.models import User

from ..hooks import Voice, linked_voices, voices_since
from ..models import Problem, ProblemEvent, RecurrenceSuggestion
from ..recurrence import MAX_PROBLEMS, Match, ProblemProfile, best_matches
from ._shared import Status, _event, _load_for_update, _tell
from .problems import problem_transition

# Voices older than this are not compared (a problem closed years ago is checked on recent voices only).
LOOKBACK_DAYS = 180

REASON_LABELS = {
    "window": gettext_lazy("同一窗口"),
    "matter": gettext_lazy("同一事项"),
    "staff": gettext_lazy("同一人员"),
    "text": gettext_lazy("内容相似"),
}


def reasons_text(reasons: list[str] | tuple[str, ...], similarity: float) -> str:
    words = [str(REASON_LABELS.get(r, r)) for r in reasons]
    if "text" in reasons:
        words[reasons.index("text")] += f" {round(similarity * 100)}%"
    return "、".join(words)


def problems_flag_recurrence(*, now: datetime | None = None, limit: int = MAX_PROBLEMS) -> int:
    """Suggest a possible recurrence for each new voice that matches a closed problem; the number suggested."""
    now = now or timezone.now()
    closed = list(
        Problem.objects.filter(status=Status.CLOSED, closed_at__isnull=False).only(
            "id", "code", "centre_id", "category", "window_id", "title", "description", "closed_at"
        )
    )
    if not closed:
        return 0
    linked = linked_voices([p.id for p in closed])
    by_centre: dict[int, list[ProblemProfile]] = defaultdict(list)
    for p in closed:
        assert p.closed_at is not None  # noqa: S101 - filtered above
        by_centre[p.centre_id].append(
            ProblemProfile.build(
                id=p.id,
                code=p.code,
                category=p.category,
                closed_at=p.closed_at,
                window_id=p.window_id,
                title=p.title,
                description=p.description,
                linked=linked.get(p.id, ()),
            )
        )
    suggested = 0
    for centre_id, profiles in sorted(by_centre.items()):
        since = max(min(p.closed_at for p in profiles), now - timedelta(days=LOOKBACK_DAYS))
        # A voice suggests once, whatever the leader then decided about it.
        known = set(
            RecurrenceSuggestion.objects.filter(problem__centre_id=centre_id).values_list("voice_ref", flat=True)
        )
        for voice in voices_since(centre_id, since):
            if voice.ref in known:
                continue
            for found in best_matches(voice, profiles, limit=limit):
                suggested += _suggest(found, voice, now)
                known.add(voice.ref)
    return suggested


def _suggest(found: Match, voice: Voice, now: datetime) -> int:
    text = (
        _("销号后出现相关投诉：%(ref)s（%(why)s）")
        if voice.kind == "complaint"
        else _("销号后出现相关差评：%(ref)s（%(why)s）")
    )
    note = text % {"ref": voice.ref, "why": reasons_text(found.reasons, found.similarity)}
    try:
        with transaction.atomic():
            suggestion, created = RecurrenceSuggestion.objects.get_or_create(
                problem_id=found.problem_id,
                voice_ref=voice.ref,
                defaults={
                    "voice_kind": voice.kind,
                    "voice_at": voice.at,
                    "reasons": list(found.reasons),
                    "similarity": found.similarity,
                },
            )
            if not created:
                return 0
            problem = Problem.objects.get(id=found.problem_id)
            # The first pending voice names the flag; later ones are listed with it on the problem's page.
            Problem.objects.filter(id=problem.id, recurrence_flagged_at__isnull=True).update(
                recurrence_flagged_at=now, recurrence_note=note[:300]
            )
            _event(
                problem,
                None,
                ProblemEvent.Kind.RECURRENCE,
                note=note,
                changes={"voice": ["", voice.ref], "reasons": ["", ",".join(found.reasons)]},
            )
            transaction.on_commit(partial(_notify, problem.id, suggestion.id, note))
    except IntegrityError:  # a parallel run suggested it first
        return 0
    return 1


def _notify(problem_id: int, suggestion_id: int, note: str) -> None:
    problem = Problem.objects.select_related("responsible_leader").get(id=problem_id)
    _tell(
        problem.responsible_leader,
        key=f"ledger:problem:{problem.id}:recurrence:{suggestion_id}",
        text=notice_text(gettext_noop("%(p)s 疑似反弹，请确认或排除：%(n)s"), {"p": problem.code, "n": note}),
        url=problem.get_absolute_url(),
    )


def _load(suggestion_id: int, problem_id: int, actor: User) -> tuple[RecurrenceSuggestion, Problem]:
    problem = _load_for_update(problem_id, actor)
    suggestion = RecurrenceSuggestion.objects.select_for_update().filter(id=suggestion_id, problem=problem).first()
    if suggestion is None:
        raise NotFound(_("未找到该疑似反弹记录。"))
    if not access.can_lead(actor, problem.centre_id):
        raise NotPermitted(_("只有中心领导可以确认或排除疑似反弹。"))
    if suggestion.status != RecurrenceSuggestion.Status.PENDING:
        raise Conflict(_("该疑似反弹已处理：%(s)s。") % {"s": suggestion.get_status_display()})
    return suggestion, problem


def _decide(suggestion: RecurrenceSuggestion, status: str, actor: User) -> None:
    suggestion.status, suggestion.decided_by, suggestion.decided_at = status, actor, timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])


def _refresh_flag(problem: Problem) -> None:
    """The flag stands while a suggestion waits for a decision."""
    pending = problem.recurrence_suggestions.filter(status=RecurrenceSuggestion.Status.PENDING)
    if not pending.exists():
        Problem.objects.filter(id=problem.id).update(recurrence_flagged_at=None, recurrence_note="")


@transaction.atomic
def recurrence_confirm(*, problem_id: int, suggestion_id: int, actor: User, note: str = "") -> RecurrenceSuggestion:
    """The voice shows the problem is back: recorded, and a closed problem re-opens for rectification."""
    suggestion, problem = _load(suggestion_id, problem_id, actor)
    _decide(suggestion, RecurrenceSuggestion.Status.CONFIRMED, actor)
    text = note.strip() or _("确认反弹：%(v)s") % {"v": suggestion.voice_ref}
    _event(
        problem,
        actor,
        ProblemEvent.Kind.RECURRENCE_CONFIRMED,
        note=text,
        changes={"voice": [suggestion.voice_ref, suggestion.voice_ref]},
    )
    if problem.status == Status.CLOSED:
        problem_transition(problem_id=problem.id, to=Status.IN_RECTIFICATION, actor=actor, note=text)
    _refresh_flag(problem)
    return suggestion


@transaction.atomic
def recurrence_dismiss(*, problem_id: int, suggestion_id: int, actor: User, note: str = "") -> RecurrenceSuggestion:
    """The voice is about something else: recorded; the problem stays as it is."""
    suggestion, problem = _load(suggestion_id, problem_id, actor)
    _decide(suggestion, RecurrenceSuggestion.Status.DISMISSED, actor)
    _event(
        problem,
        actor,
        ProblemEvent.Kind.RECURRENCE_DISMISSED,
        note=note.strip() or _("排除反弹：%(v)s 与本问题无关。") % {"v": suggestion.voice_ref},
        changes={"voice": [suggestion.voice_ref, suggestion.voice_ref]},
    )
    _refresh_flag(problem)
    return suggestion
