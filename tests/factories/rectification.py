from __future__ import annotations

from datetime import date, timedelta

import factory

from govservice.categories import ProblemCategory
from rectification.models import Measure, Problem, ProblemSource
from tests.factories.staff import CentreFactory, UserFactory


class ProblemFactory(factory.django.DjangoModelFactory[Problem]):
    class Meta:
        model = Problem

    centre = factory.SubFactory(CentreFactory)
    code = factory.Sequence(lambda n: f"TD-{n + 1:03d}")
    category = ProblemCategory.ATTITUDE
    title = factory.Sequence(lambda n: f"问题{n}")
    description = "窗口人员未主动引导办事群众"
    source = ProblemSource.SELF_INSPECTION
    found_on = date(2025, 1, 10)
    responsible_leader = factory.SubFactory(UserFactory, centre=factory.SelfAttribute("..centre"))
    responsible_person = factory.SubFactory(UserFactory, centre=factory.SelfAttribute("..centre"))


class MeasureFactory(factory.django.DjangoModelFactory[Measure]):
    class Meta:
        model = Measure

    problem = factory.SubFactory(ProblemFactory)
    description = factory.Sequence(lambda n: f"整改措施{n}")
    owner = factory.SelfAttribute("problem.responsible_person")
    deadline = factory.LazyFunction(lambda: date.today() + timedelta(days=30))
    weight = 1
    progress = 0


def close_out_applied(centre, person, **kwargs) -> Problem:
    """A problem whose close-out (销号) `person` applied for, waiting for a leader to verify it."""
    from django.utils import timezone

    return ProblemFactory.create(
        centre=centre,
        status=Problem.Status.CLOSE_OUT_APPLIED,
        responsible_person=person,
        close_out_applied_by=person,
        close_out_applied_at=timezone.now(),
        **kwargs,
    )
