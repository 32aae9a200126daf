"""The Open311 service catalogue: complaint categories, suggestions, evaluations and matter types.

`jurisdiction_id` is the centre's code. Service codes are strings:
`complaint`, `complaint-<category>`, `suggestion`, `evaluation`, `matter-<centre>-<matter code>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max
from django.utils.translation import gettext as _

from cases.models import MatterType
from cases.selectors import matter_type_list
from complaints.models import EvaluationLevel
from complaints.selectors import evaluation_tags_active
from govservice.categories import ProblemCategory
from govservice.models import Centre


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    description: str
    required: bool = False
    order: int = 1
    values: tuple[tuple[str, str], ...] = ()
    datatype_description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "variable": True,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description,
            "order": self.order,
            "description": self.description,
            "values": [{"key": key, "name": name} for key, name in self.values],
        }


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: str
    record: str  # "complaint" | "suggestion" | "evaluation"
    category: str = ""
    matter_type: MatterType | None = None
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "service_code": self.code,
            "service_name": self.name,
            "description": self.description,
            "metadata": bool(self.attributes),
            "type": "realtime",
            "keywords": self.keywords,
            "group": self.group,
        }


def _people_attributes(start: int) -> tuple[Attribute, ...]:
    return (
        Attribute("window", "string", _("涉及窗口编号（可选）"), order=start),
        Attribute("staff_no", "string", _("涉及工作人员工号（可选）"), order=start + 1),
    )


def _common_services() -> list[Service]:
    complaint_attrs = _people_attributes(1)
    services = [
        Service(
            "complaint",
            _("投诉"),
            _("对窗口服务的投诉"),
            _("投诉建议"),
            _("投诉,窗口,服务"),
            "complaint",
            attributes=complaint_attrs,
        ),
    ]
    for category in ProblemCategory:
        services.append(
            Service(
                f"complaint-{category.value}",
                _("投诉：%(category)s") % {"category": category.label},
                _("关于“%(category)s”的投诉；最终分类由工作人员确定") % {"category": category.label},
                _("投诉建议"),
                f"{_('投诉')},{category.label}",
                "complaint",
                category=category.value,
                attributes=complaint_attrs,
            )
        )
    services.append(
        Service("suggestion", _("建议"), _("对中心服务的意见建议"), _("投诉建议"), _("建议,意见"), "suggestion")
    )
    tags = tuple((t.code, t.label) for t in evaluation_tags_active())
    evaluation_attrs = (
        Attribute(
            "level",
            "singlevaluelist",
            _("评价等级"),
            required=True,
            order=1,
            values=tuple((str(level.value), str(level.label)) for level in EvaluationLevel),
            datatype_description=_("5 非常满意 … 1 非常不满意"),
        ),
        *_people_attributes(2),
        Attribute("case", "string", _("办件编号（可选，一事一评）"), order=4),
        Attribute("invitation", "string", _("办件的评价邀请码（评价办件时必填，见短信评价链接）"), order=6),
    )
    if tags:
        evaluation_attrs += (Attribute("tags", "multivaluelist", _("评价标签"), order=5, values=tags),)
    services.append(
        Service(
            "evaluation",
            _("好差评"),
            _("对窗口服务的评价（五级）"),
            _("好差评"),
            _("评价,好差评,满意度"),
            "evaluation",
            attributes=evaluation_attrs,
        )
    )
    return services


def matter_service_code(matter_type: MatterType) -> str:
    return f"matter-{matter_type.centre.code}-{matter_type.code}"


def _matter_services(centre: Centre | None) -> list[Service]:
    queryset = matter_type_list().select_related("centre", "department")
    if centre is not None:
        queryset = queryset.filter(centre=centre)
    attrs = _people_attributes(1)
    return [
        Service(
            matter_service_code(mt),
            mt.name,
            _("关于“%(matter)s”办理的投诉") % {"matter": mt.name},
            mt.department.name if mt.department else mt.centre.name,
            f"{_('事项')},{mt.code}",
            "complaint",
            matter_type=mt,
            attributes=attrs,
        )
        for mt in queryset.order_by("centre__code", "code")
    ]


def service_list(centre: Centre | None) -> list[Service]:
    return _common_services() + _matter_services(centre)


def service_get(code: str, centre: Centre | None) -> Service | None:
    if code.startswith("matter-"):
        return next((s for s in _matter_services(centre) if s.code == code), None)
    return next((s for s in _common_services() if s.code == code), None)


def changeset() -> str:
    """Bumps whenever the catalogue's sources change (matter types, tags)."""
    from .formats import iso

    latest = matter_type_list(active=False).aggregate(latest=Max("updated_at"))["latest"]
    return iso(latest) or "2026-01-01T00:00:00+08:00"
