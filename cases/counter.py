"""The decision at the counter when a case is logged: accept, accept with deficiencies (容缺受理) or
consultation only, and which materials each records as received and deferred.

Checked before anything is written, so the form shows every problem at once beside its field; the
services check the same rules again for every other door (the API, the case page).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ChecklistItem(Protocol):
    """A line of a matter's checklist: a catalogue `Material` (the case form) or a `CaseMaterial` (the case page)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def is_core(self) -> bool: ...


class Decision(models.TextChoices):
    ACCEPT = "accept", gettext_lazy("受理")
    ACCEPT_DEFICIENT = "accept_deficient", gettext_lazy("容缺受理")
    CONSULT = "consult", gettext_lazy("仅登记咨询")


@dataclass(frozen=True)
class MaterialSplit:
    """What a decision records of a matter's checklist: received (ticked), deferred (容缺) and the
    rest still missing. A consultation records none as received."""

    received: list[ChecklistItem]
    deferred: list[ChecklistItem]
    missing: list[ChecklistItem]

    @property
    def received_ids(self) -> set[int]:
        return {m.id for m in self.received}


def split_materials(materials: Sequence[ChecklistItem], provided: Iterable[int], decision: str) -> MaterialSplit:
    if decision == Decision.CONSULT:
        return MaterialSplit(received=[], deferred=[], missing=list(materials))
    ticked = set(provided)
    received = [m for m in materials if m.id in ticked]
    missing = [m for m in materials if m.id not in ticked]
    if decision == Decision.ACCEPT_DEFICIENT:
        deferred = [m for m in missing if not m.is_core]
        return MaterialSplit(received=received, deferred=deferred, missing=[m for m in missing if m.is_core])
    return MaterialSplit(received=received, deferred=[], missing=missing)


def _names(materials: Iterable[ChecklistItem]) -> str:
    return "、".join(m.name for m in materials)


def material_errors(materials: Sequence[ChecklistItem], provided: Iterable[int], decision: str) -> list[str]:
    """Why the ticked materials do not allow this decision (empty when they do)."""
    if decision == Decision.CONSULT or not materials:
        return []
    split = split_materials(materials, provided, decision)
    if decision == Decision.ACCEPT and split.missing:
        return [
            _("材料不齐，不能直接受理：%(names)s。次要材料缺少时可选择容缺受理。") % {"names": _names(split.missing)}
        ]
    if decision == Decision.ACCEPT_DEFICIENT:
        if split.missing:
            return [_("主要材料未提交，不能容缺受理：%(names)s。") % {"names": _names(split.missing)}]
        if not split.deferred:
            return [_("材料已齐全，无需容缺，请选择“受理”。")]
    return []
