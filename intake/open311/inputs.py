"""Parsing Open311 query and form arguments (dates, paging, attributes, location, person)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request

from govservice.numbers import normalize_phone

from .catalog import Service, service_get
from .records import MAX_DESCRIPTION

DEFAULT_DAYS = 90
MAX_RESULTS = 1000
MAX_PAGED_RESULTS = 20_000
POST_FIELDS = {
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
    "email", "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
}  # fmt: skip
ATTRIBUTE_RE = re.compile(r"^attribute\[(?P<code>[\w-]+)\](?P<many>\[\])?$")
PHONE_RE = re.compile(r"^1\d{10}$")


def post_form(request: Request) -> QueryDict:
    """The POST form; an empty body parses to a plain dict, which has no multi-values."""
    data = request.data
    return data if isinstance(data, QueryDict) else QueryDict("")


def matter_services_by_code(code: str) -> list[Service]:
    service = service_get(code, None)
    return [service] if service is not None else []


def parse_attributes(form: Any, service: Service) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in form:
        match = ATTRIBUTE_RE.match(key)
        if match:
            values[match["code"]] = form.getlist(key) if match["many"] else form.get(key)
    defined = {a.code: a for a in service.attributes}
    errors: dict[str, list[str]] = {}
    for code in values:
        if code not in defined:
            errors[f"attribute[{code}]"] = [_("该服务没有此属性。")]
    for attribute in service.attributes:
        value = values.get(attribute.code)
        if value in (None, "", []):
            if attribute.required:
                errors[f"attribute[{attribute.code}]"] = [_("必填。")]
            values.pop(attribute.code, None)
            continue
        allowed = {key for key, _name in attribute.values}
        if isinstance(value, list) and attribute.datatype != "multivaluelist":
            errors[f"attribute[{attribute.code}]"] = [_("只能有一个值。")]
            continue
        if attribute.datatype == "singlevaluelist" and value not in allowed:
            errors[f"attribute[{attribute.code}]"] = [_("不是有效的选项。")]
        if attribute.datatype == "multivaluelist":
            value = value if isinstance(value, list) else [value]
            if any(v not in allowed for v in value):
                errors[f"attribute[{attribute.code}]"] = [_("不是有效的选项。")]
            values[attribute.code] = value
        elif isinstance(value, str) and len(value) > 100:
            errors[f"attribute[{attribute.code}]"] = [_("过长。")]
    if errors:
        raise exceptions.ValidationError(errors)
    return values


def parse_location_and_person(form: Any) -> dict[str, str]:
    def get(name: str, limit: int = 200) -> str:
        value = (form.get(name) or "").strip()
        if len(value) > limit:
            raise exceptions.ValidationError({name: [_("过长。")]})
        return value

    out: dict[str, str] = {}
    lat, long = get("lat", 30), get("long", 30)
    address_string, address_id = get("address_string"), get("address_id", 20)
    if bool(lat) != bool(long):
        raise exceptions.ValidationError({"long" if lat else "lat": [_("lat 与 long 须同时提供。")]})
    if lat:
        try:
            if not (-90 <= float(lat) <= 90 and -180 <= float(long) <= 180):
                raise ValueError
        except ValueError:
            raise exceptions.ValidationError({"lat": [_("坐标无效。")]}) from None
    if not (lat or address_string or address_id):
        raise exceptions.ValidationError(
            {"address_string": [_("须提供位置：lat/long、address_string 或 address_id。")]}
        )
    if address_id:
        out["address_id"] = address_id
    description = get("description", MAX_DESCRIPTION)
    if "<" in description and re.search(r"<[a-zA-Z/!]", description):
        raise exceptions.ValidationError({"description": [_("不能包含 HTML。")]})
    out["description"] = description
    out["name"] = (get("last_name", 50) + get("first_name", 50)).strip()
    phone = normalize_phone(get("phone", 30))
    if phone and not PHONE_RE.match(phone):
        raise exceptions.ValidationError({"phone": [_("手机号格式不正确。")]})
    out["phone"] = phone
    out["account_id"] = get("account_id", 100)
    get("email", 254)
    get("device_id", 100)
    get("media_url", 500)
    return out


MOMENT_YEARS = (1900, 2100)  # a query outside these years is a typo, never a record's time


def parse_moment(value: str, name: str) -> datetime:
    try:
        moment = parse_datetime(value.replace(" ", "+"))
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # In UTC: PostgreSQL takes offsets up to ±15:59 only, Python up to ±23:59 (a 500 found by the fuzz test).
        moment = moment.astimezone(UTC) if moment is not None else None
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise exceptions.ValidationError({name: [_("须为带时区的 ISO 8601 时间。")]})
    if not MOMENT_YEARS[0] <= moment.year <= MOMENT_YEARS[1]:
        raise exceptions.ValidationError({name: [_("时间超出可查询的范围。")]})
    return moment


def parse_page(params: Any) -> tuple[int, int]:
    """The de-facto `page` / `page_size` extension; without them, the spec's first 1000."""
    try:
        page = int(params.get("page") or 1)
        size = int(params.get("page_size") or MAX_RESULTS)
    except ValueError:
        raise exceptions.ValidationError({"page": [_("须为正整数。")]}) from None
    if page < 1 or not 1 <= size <= MAX_RESULTS or page * size > MAX_PAGED_RESULTS:
        raise exceptions.ValidationError({"page": [_("分页参数超出范围。")]})
    return page, size


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]
