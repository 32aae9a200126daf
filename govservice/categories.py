"""The four problem categories of window conduct, shared by the ledger, complaints and role-swap alike.

The centre's 23 problems fall into these four; a complaint, a bad review's finding and a role-swap
finding are classified into the same ones, so they can be compared and rolled up by category.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemCategory(models.TextChoices):
    """The centre's four problem categories; complaints are classified into the same ones."""

    ATTITUDE = "attitude", _("服务态度")
    ABILITY = "ability", _("业务能力")
    EFFICIENCY = "efficiency", _("流程效率")
    DISCIPLINE = "discipline", _("纪律执行")
