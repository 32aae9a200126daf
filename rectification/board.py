"""The public commitment board (承诺公示): what an anonymous visitor may read of the ledger.

One function builds the board for the page, the Atom feed and the JSON endpoint alike, so the
three never disagree, and every text on it passes through `public_wording`: phone and ID numbers
masked (in any spelling) and the names of the centre's staff, present and past, replaced by a
neutral word. Nothing else leaves: no people, no windows, no evidence, no internal notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.categories import ProblemCategory
from govservice.masking import scrub
from govservice.models import Centre
from staff.selectors import staff_names_of

from .models import Measure, Problem, PublicCommitment

# Names shorter than this are not searched for inside text (a one-character "name" would eat words).
MIN_NAME_LENGTH = 2


@dataclass(frozen=True)
class PublicMeasure:
    description: str
    weight: int
    progress: int
    deadline: date
    completed: bool


@dataclass(frozen=True)
class PublicItem:
    code: str
    category: str
    category_label: str
    commitment: str
    measures: tuple[PublicMeasure, ...]
    progress: int  # weighted by the measures' weights, 0–100
    deadline: date | None
    status: str
    status_label: str
    closed_on: date | None
    published_at: datetime
    updated_at: datetime

    @property
    def progress_step(self) -> int:
        """The progress rounded to 10 % for the bar (a started problem shows at least one step)."""
        step = round(self.progress / 10) * 10
        return 10 if step == 0 and self.progress > 0 else step


def public_wording(text: str, names: list[str]) -> str:
    """Text fit for the public: numbers masked and staff names replaced (longest name first)."""
    text = scrub(text)
    ordered = sorted({name for name in names if len(name) >= MIN_NAME_LENGTH}, key=len, reverse=True)
    candidates = [re.escape(name) for name in ordered]
    if not candidates:
        return text
    return re.sub("|".join(candidates), _("工作人员"), text)


def weighted_progress(measures: list[Measure]) -> int:
    total = sum(m.weight for m in measures)
    if not total:
        return 0
    return round(sum(m.weight * (100 if m.completed_at else m.progress) for m in measures) / total)


def public_items(centre: Centre) -> list[PublicItem]:
    """The public problems of a centre, newest publication first (two queries and the names)."""
    commitments = (
        PublicCommitment.objects.filter(problem__centre=centre)
        .select_related("problem")
        .prefetch_related(Prefetch("problem__measures", queryset=Measure.objects.order_by("deadline", "id")))
        .order_by("-published_at", "-id")
    )
    names = staff_names_of(centre_id=centre.id)
    items = []
    for row in commitments:
        problem = row.problem
        measures = list(problem.measures.all())
        items.append(
            PublicItem(
                code=problem.code,
                category=problem.category,
                category_label=str(ProblemCategory(problem.category).label),
                commitment=public_wording(row.commitment, names),
                measures=tuple(
                    PublicMeasure(
                        description=public_wording(m.description, names),
                        weight=m.weight,
                        progress=100 if m.completed_at else m.progress,
                        deadline=m.deadline,
                        completed=m.completed_at is not None,
                    )
                    for m in measures
                ),
                progress=weighted_progress(measures),
                deadline=max((m.deadline for m in measures), default=None),
                status=problem.status,
                status_label=str(Problem.Status(problem.status).label),
                closed_on=timezone.localdate(problem.closed_at) if problem.closed_at else None,
                published_at=row.published_at,
                updated_at=max([row.published_at, problem.updated_at, *(m.updated_at for m in measures)]),
            )
        )
    return items


def board_updated_at(centre: Centre) -> datetime | None:
    """When the board last changed, for the feed's <updated> (None: nothing public)."""
    row = PublicCommitment.objects.filter(problem__centre=centre).aggregate(
        published=Max("published_at"), changed=Max("problem__updated_at"), measured=Max("problem__measures__updated_at")
    )
    stamps = [stamp for stamp in row.values() if stamp is not None]
    return max(stamps) if stamps else None


def commitment_of(problem: Problem) -> PublicCommitment | None:
    return PublicCommitment.objects.filter(problem=problem).first()
