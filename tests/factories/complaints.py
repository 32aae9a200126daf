from __future__ import annotations

from datetime import date

import factory
from django.utils import timezone

from complaints.models import Channel, Complaint, Evaluation
from govservice.crypto import lookup_hash
from govservice.models import Centre
from tests.factories.staff import CentreFactory


class ChannelFactory(factory.django.DjangoModelFactory[Channel]):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"ch{n}")
    name = factory.Sequence(lambda n: f"渠道{n}")
    kind = Channel.Kind.QR_CODE

    @factory.post_generation
    def centres(self, create: bool, extracted: list[Centre] | None, **kwargs: object) -> None:
        if create and extracted:
            self.centres.add(*extracted)


def channel_for(centre: Centre, kind: str = Channel.Kind.QR_CODE, **kwargs: object) -> Channel:
    return ChannelFactory.create(code=f"{centre.code}-{kind}", kind=kind, centres=[centre], **kwargs)


class EvaluationFactory(factory.django.DjangoModelFactory[Evaluation]):
    class Meta:
        model = Evaluation

    centre = factory.SubFactory(CentreFactory)
    channel = factory.LazyAttribute(lambda o: channel_for(o.centre))
    level = 5
    rated_at = factory.LazyFunction(timezone.now)


class ComplaintFactory(factory.django.DjangoModelFactory[Complaint]):
    class Meta:
        model = Complaint

    centre = factory.SubFactory(CentreFactory)
    channel = factory.LazyAttribute(lambda o: channel_for(o.centre, Channel.Kind.HOTLINE))
    tracking_no = factory.Sequence(lambda n: f"TST{n:06d}")
    content = "窗口工作人员态度不耐烦"
    received_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class: type[Complaint], *args: object, **kwargs: object) -> Complaint:
        """As complaint_submit does: the reply deadline is stored with the row (unless given)."""
        from complaints.deadlines import complaint_set_reply_due

        assert not args  # noqa: S101 - factory_boy passes the fields by name
        complaint = model_class(**kwargs)
        if complaint.reply_due_at is None:
            complaint_set_reply_due(complaint)
        complaint.save()
        return complaint


def a_monday() -> date:
    return date(2026, 3, 2)


_case_seq = iter(range(1, 10**6))


def matter_type_for(centre: Centre, **kwargs: object):
    from cases.models import MatterType

    n = next(_case_seq)
    return MatterType.objects.create(centre=centre, code=f"M{n}", name=f"事项{n}", promised_days=5, **kwargs)


def completed_case(*, centre: Centre, handler, phone: str = "13900001234", matter_type=None, **kwargs: object):
    """A completed case built directly (the cases app owns its factories and services)."""
    from cases.models import Case

    n = next(_case_seq)
    return Case.objects.create(
        tracking_no=f"{centre.tracking_prefix}CASE{n:06d}",
        centre=centre,
        matter_type=matter_type or matter_type_for(centre),
        window=handler.window,
        applicant_kind=Case.ApplicantKind.PERSON,
        applicant_name="王小明",
        applicant_phone=phone,
        applicant_phone_hash=lookup_hash(phone) if phone else "",
        status=Case.Status.COMPLETED,
        first_responder=handler,
        handler=handler,
        completed_at=timezone.now(),
        **kwargs,
    )


def problem_for(centre: Centre, leader, category: str = "attitude", **kwargs: object):
    """A ledger problem built directly (the rectification app owns its own factories)."""
    from rectification.models import Problem

    n = next(_case_seq)
    return Problem.objects.create(
        centre=centre,
        code=f"P{n:03d}",
        category=category,
        title=f"问题{n}",
        description="窗口人员服务态度生硬",
        source="complaint",
        found_on=date(2026, 1, 5),
        responsible_leader=leader,
        responsible_person=leader,
        **kwargs,
    )
