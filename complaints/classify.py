"""The classification queue: a suggested category and problem for each unclassified complaint, and
classifying several at once.

A suggestion is deterministic and explainable, and only a hint (staff decide):
1. words: the problem (of the 23, complaints/classify_words.py) whose words and synonyms the text
   contains most (ties: the list's order), and its category;
2. similar past complaints: the centre's classified complaints sharing the most character pairs
   (bigrams) with the text (Jaccard share of the pairs); the category most of the closest ones got.
Words decide when they match; otherwise the similar complaints do. Every suggestion carries its
reasons (the words found, the similar complaints and how much they share) for the screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from govservice.categories import ProblemCategory
from govservice.exceptions import ValidationFailed
from rectification.models import Problem
from staff.models import User

from .classify_words import PROBLEM_WORDS
from .models import Complaint
from .services import complaint_classify

# How many of the centre's latest classified complaints are compared, how many closest ones vote,
# and the least share of character pairs that makes two texts "similar".
PAST_LIMIT = 500
SIMILAR_VOTERS = 5
SIMILAR_MIN_SHARE = 0.15


def text_bigrams(text: str) -> frozenset[str]:
    """Pairs of neighbouring letters, digits and Chinese characters (punctuation and spaces dropped)."""
    chars = [c for c in text.lower() if c.isalnum()]
    return frozenset(a + b for a, b in zip(chars, chars[1:], strict=False))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared pairs over all pairs of both texts (Jaccard), 0..1."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def keyword_matches(text: str) -> dict[str, tuple[str, ...]]:
    """{problem code: the words of that problem found in the text}, problems without a match left out."""
    found: dict[str, tuple[str, ...]] = {}
    for code, (_category, words) in PROBLEM_WORDS.items():
        hits = tuple(word for word in words if word in text)
        if hits:
            found[code] = hits
    return found


@dataclass(frozen=True)
class PastComplaint:
    """A classified complaint of the centre, as compared (loaded once per page)."""

    id: int
    centre_id: int
    tracking_no: str
    category: str
    problem_code: str
    bigrams: frozenset[str]


@dataclass(frozen=True)
class Similar:
    tracking_no: str
    category: str
    share: float

    @property
    def percent(self) -> int:
        return round(100 * self.share)


@dataclass
class Suggestion:
    category: str = ""
    problem_code: str = ""
    problem: Problem | None = None  # the centre's ledger problem with that code, if it has one
    words: tuple[str, ...] = ()
    similar: list[Similar] = field(default_factory=list)
    similar_category: str = ""
    reasons: list[str] = field(default_factory=list)

    @property
    def category_label(self) -> str:
        return str(ProblemCategory(self.category).label) if self.category else ""


def past_complaints(*, centre_ids: Iterable[int], exclude_ids: Iterable[int] = ()) -> list[PastComplaint]:
    """The latest classified complaints of these centres, ready to compare (one query)."""
    rows = (
        Complaint.objects.filter(centre_id__in=list(centre_ids))
        .exclude(category="")
        .exclude(id__in=list(exclude_ids))
        .order_by("-received_at", "-id")
        .values_list("id", "tracking_no", "category", "problem__code", "content", "centre_id")[:PAST_LIMIT]
    )
    return [
        PastComplaint(pk, centre_id, no, category, code or "", text_bigrams(content))
        for pk, no, category, code, content, centre_id in rows
    ]


def _label(category: str) -> str:
    return str(ProblemCategory(category).label)


def suggest(
    text: str, *, past: Sequence[PastComplaint] = (), problems_by_code: dict[str, Problem] | None = None
) -> Suggestion:
    """The suggested category and problem for a complaint text, with the reasons."""
    problems_by_code = problems_by_code or {}
    suggestion = Suggestion()
    matches = keyword_matches(text)
    order = list(PROBLEM_WORDS)
    if matches:
        code = max(matches, key=lambda c: (len(matches[c]), -order.index(c)))
        suggestion.problem_code, suggestion.words = code, matches[code]
        suggestion.category = PROBLEM_WORDS[code][0]
        suggestion.reasons.append(
            _("含关键词 %(words)s → %(code)s（%(category)s）")
            % {
                "words": "、".join(f"“{w}”" for w in matches[code]),
                "code": code,
                "category": _label(suggestion.category),
            }
        )
    mine = text_bigrams(text)
    scored = sorted(
        ((similarity(mine, p.bigrams), p) for p in past),
        key=lambda pair: (-pair[0], pair[1].tracking_no),
    )
    voters = [(share, p) for share, p in scored[:SIMILAR_VOTERS] if share >= SIMILAR_MIN_SHARE]
    suggestion.similar = [Similar(p.tracking_no, p.category, share) for share, p in voters]
    if voters:
        votes: Counter[str] = Counter()
        weight: dict[str, float] = {}
        for share, p in voters:
            votes[p.category] += 1
            weight[p.category] = weight.get(p.category, 0.0) + share
        categories = list(ProblemCategory.values)
        best = max(votes, key=lambda c: (votes[c], weight[c], -categories.index(c)))
        suggestion.similar_category = best
        suggestion.reasons.append(
            _("相似的已归类投诉 %(items)s 中 %(n)s 件归为“%(category)s”")
            % {
                "items": "、".join(f"{s.tracking_no}（{s.percent}%）" for s in suggestion.similar),
                "n": votes[best],
                "category": _label(best),
            }
        )
        if not suggestion.category:
            suggestion.category = best
            problem_votes = Counter(p.problem_code for _share, p in voters if p.category == best and p.problem_code)
            if problem_votes:
                suggestion.problem_code = sorted(problem_votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    if suggestion.problem_code:
        suggestion.problem = problems_by_code.get(suggestion.problem_code)
    return suggestion


def suggestions_for(complaints: Sequence[Complaint], problems: Iterable[Problem]) -> dict[int, Suggestion]:
    """Suggestions for a page of complaints: one query for the past complaints, `problems` loaded by the caller."""
    by_centre: dict[int, dict[str, Problem]] = {}
    for problem in problems:
        by_centre.setdefault(problem.centre_id, {})[problem.code] = problem
    past = past_complaints(centre_ids={c.centre_id for c in complaints}, exclude_ids=[c.id for c in complaints])
    result = {}
    for complaint in complaints:
        same_centre = [p for p in past if p.centre_id == complaint.centre_id]
        result[complaint.id] = suggest(
            complaint.content, past=same_centre, problems_by_code=by_centre.get(complaint.centre_id, {})
        )
    return result


@dataclass(frozen=True)
class ClassifyItem:
    complaint_id: int
    category: str
    problem: Problem | None = None


@transaction.atomic
def complaints_classify_many(*, items: Sequence[ClassifyItem], actor: User, note: str = "") -> list[Complaint]:
    """Classify several complaints, each through `complaint_classify` (its rules, its history row).

    All or nothing: the first one refused (not permitted, an invalid category, a problem of another
    centre) raises and every one already done in this call is rolled back. Locked in id order, so
    two bulk runs over the same complaints never deadlock.
    """
    if not items:
        raise ValidationFailed(_("请至少选择一件投诉。"), field="ids")
    done = []
    for item in sorted(items, key=lambda i: i.complaint_id):
        done.append(
            complaint_classify(
                complaint_id=item.complaint_id, category=item.category, problem=item.problem, actor=actor, note=note
            )
        )
    return done
