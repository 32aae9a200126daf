from __future__ import annotations

import factory

from cases.models import Material, MatterType
from tests.factories.staff import CentreFactory

# Valid test identifiers (checksums pass): GB 11643 and GB 32100.
VALID_RIC = "11010519491231002X"
VALID_USCC = "91110000600037341L"
PHONE = "13812341234"


class MatterTypeFactory(factory.django.DjangoModelFactory[MatterType]):
    class Meta:
        model = MatterType

    centre = factory.SubFactory(CentreFactory)
    code = factory.Sequence(lambda n: f"M{n:04d}")
    name = factory.Sequence(lambda n: f"事项{n}")
    promised_days = 10
    statutory_days = 20
    correction_days = 5


class MaterialFactory(factory.django.DjangoModelFactory[Material]):
    class Meta:
        model = Material

    matter_type = factory.SubFactory(MatterTypeFactory)
    name = factory.Sequence(lambda n: f"材料{n}")
    is_core = True
    order = factory.Sequence(lambda n: n)


def matter_with_materials(centre, *, core=("营业执照申请书", "身份证明"), secondary=("住所使用证明",), **fields):
    matter = MatterTypeFactory(centre=centre, name=fields.pop("name", "企业开办"), **fields)
    for name in core:
        MaterialFactory(matter_type=matter, name=name, is_core=True)
    for name in secondary:
        MaterialFactory(matter_type=matter, name=name, is_core=False)
    return matter


def case_form_data(matter, **extra):
    """What the counter's case form posts: a person with valid numbers, the core materials ticked."""
    data = {
        "matter_type": matter.id,
        "applicant_kind": "person",
        "applicant_name": "王小明",
        "applicant_id_number": VALID_RIC,
        "applicant_phone": PHONE,
        "submit_method": "window",
        "provided": [m.id for m in matter.materials.filter(is_core=True)],
    }
    data.update(extra)
    return data
