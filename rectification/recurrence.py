"""Which closed problem a new voice (complaint, bad review) points back to: pure, deterministic matching.

A voice matches a closed problem only on something specific: the problem's window, a matter or a member
of staff of the complaints that raised it, or text similar to the problem's title and description
(character bigrams, Dice coefficient, at least TEXT_THRESHOLD). The category alone is not enough: one
complaint about ability once flagged all six closed ability problems. A voice with a category must also
share the problem's; a bad review has none. Each voice suggests at most the best match (MAX_PROBLEMS).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .hooks import Voice

# Dice similarity of character bigrams from which a voice's text counts as "about this problem".
# Calibrated on the demo plan's 23 descriptions against complaints written about them (tests).
TEXT_THRESHOLD = 0.2
# Problems one voice may suggest: the best match only.
MAX_PROBLEMS = 1
# What one specific match weighs against text similarity (0..1) when ranking problems.
STRUCTURAL_WEIGHT = 1.0
REASONS = ("window", "matter", "staff", "text")
# Bigrams every voice in a service hall shares ("窗口人员", "工作人员", "群众"): left out, or any two
# complaints would look alike.
STOP_BIGRAMS = frozenset(
    {"窗口", "口人", "人员", "工作", "作人", "群众", "办事", "办理", "中心", "大厅", "服务", "问题"}
)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, letters and digits only (punctuation and spaces dropped)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if ch.isalnum())


def bigrams(text: str) -> frozenset[str]:
    norm = normalise(text)
    if len(norm) == 1:
        return frozenset({norm})
    return frozenset(norm[i : i + 2] for i in range(len(norm) - 1)) - STOP_BIGRAMS


def similarity(a: Iterable[str] | str, b: Iterable[str] | str) -> float:
    """Dice coefficient of two bigram sets (or texts): 0 (nothing shared) .. 1 (the same). Symmetric."""
    left = bigrams(a) if isinstance(a, str) else frozenset(a)
    right = bigrams(b) if isinstance(b, str) else frozenset(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


@dataclass(frozen=True)
class ProblemProfile:
    """What a closed problem is recognised by."""

    id: int
    code: str
    category: str
    closed_at: datetime
    window_ids: frozenset[int] = frozenset()
    matter_ids: frozenset[int] = frozenset()
    staff_ids: frozenset[int] = frozenset()
    text_bigrams: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls,
        *,
        id: int,  # noqa: A002 - the problem's id, named as on the model
        code: str,
        category: str,
        closed_at: datetime,
        window_id: int | None,
        title: str,
        description: str,
        linked: Iterable[Voice] = (),
    ) -> ProblemProfile:
        linked = list(linked)
        return cls(
            id=id,
            code=code,
            category=category,
            closed_at=closed_at,
            window_ids=frozenset({window_id} if window_id else set()) | {v.window_id for v in linked if v.window_id},
            matter_ids=frozenset(v.matter_id for v in linked if v.matter_id),
            staff_ids=frozenset(v.staff_id for v in linked if v.staff_id),
            text_bigrams=bigrams(f"{title}{description}"),
        )


@dataclass(frozen=True)
class Match:
    problem_id: int
    reasons: tuple[str, ...]
    similarity: float

    @property
    def score(self) -> float:
        structural = sum(1 for r in self.reasons if r != "text")
        return STRUCTURAL_WEIGHT * structural + self.similarity


def match(voice: Voice, problem: ProblemProfile) -> Match | None:
    """The voice's match with one closed problem, or None (heard before the close-out, another category,
    or nothing specific in common)."""
    if voice.at <= problem.closed_at:
        return None
    if voice.category and voice.category != problem.category:
        return None
    reasons = []
    if voice.window_id and voice.window_id in problem.window_ids:
        reasons.append("window")
    if voice.matter_id and voice.matter_id in problem.matter_ids:
        reasons.append("matter")
    if voice.staff_id and voice.staff_id in problem.staff_ids:
        reasons.append("staff")
    score = similarity(bigrams(voice.text), problem.text_bigrams)
    if score >= TEXT_THRESHOLD:
        reasons.append("text")
    if not reasons:
        return None
    return Match(problem.id, tuple(reasons), round(score, 4))


def best_matches(voice: Voice, problems: Iterable[ProblemProfile], *, limit: int = MAX_PROBLEMS) -> list[Match]:
    """The best `limit` matches, highest score first; ties go to the problem closed most recently, then
    the lower id (deterministic whatever the order of `problems`)."""
    closed_at = {}
    found = []
    for problem in problems:
        result = match(voice, problem)
        if result is not None:
            found.append(result)
            closed_at[problem.id] = problem.closed_at
    found.sort(key=lambda m: (-m.score, -closed_at[m.problem_id].timestamp(), m.problem_id))
    return found[:limit]
