"""Open311 GeoReport v2 under /open311/v2/ (JSON and XML by path suffix).

Errors use the spec's body ([{code, description}] / <errors><error>) and status codes:
403 for a missing or bad api_key, 404 for an unknown resource, jurisdiction or
service_code, 400 for everything else (429 when throttled, with Retry-After).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.models import BadReview, Channel, Complaint, Evaluation
from govservice.exceptions import DomainError
from govservice.workdays import WorkCalendar
from staff.models import Centre

from .auth import ChannelKeyAuthentication, ChannelThrottle, HasChannelKey, PublicThrottle
from .idempotency import idempotency_key_from, run_idempotent
from .models import ChannelKey
from .open311_catalog import Service, matter_service_code, service_get, service_list
from .open311_catalog import changeset as catalogue_changeset
from .open311_format import Open311JSONRenderer, Open311XMLRenderer, iso
from .selectors import complaint_expected
from .strict import max_body_bytes, refuse_oversized
from .submit import complaint_receive, evaluation_receive

SPEC = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")
DEFAULT_DAYS = 90
MAX_RESULTS = 1000
MAX_PAGED_RESULTS = 20_000
MAX_DESCRIPTION = 4000
CLOSED_COMPLAINT = (Complaint.Status.CLOSED, Complaint.Status.MERGED)
OPEN_BAD_REVIEW = (
    BadReview.Status.OPEN,
    BadReview.Status.CONTACTED,
    BadReview.Status.RECTIFYING,
    BadReview.Status.APPEALED,
)
POST_FIELDS = {
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
    "email", "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
}  # fmt: skip
ATTRIBUTE_RE = re.compile(r"^attribute\[(?P<code>[\w-]+)\](?P<many>\[\])?$")
PHONE_RE = re.compile(r"^1\d{10}$")

ERRORS_SCHEMA = inline_serializer(
    name="Open311Error", fields={"code": serializers.IntegerField(), "description": serializers.CharField()}, many=True
)
FORMAT_PARAM = OpenApiParameter(
    "fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["json", "xml"], description="Response format (path suffix)"
)
JURISDICTION_PARAM = OpenApiParameter(
    "jurisdiction_id", OpenApiTypes.STR, description="Centre code; optional when one centre is meant"
)


class Open311Error(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "400"


def _errors(status_code: int, descriptions: list[str]) -> list[dict[str, Any]]:
    return [{"code": status_code, "description": d} for d in descriptions]


def open311_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed, exceptions.PermissionDenied)):
        code, messages = 403, [force_str(exc.detail)]
    elif isinstance(exc, (Http404, exceptions.NotFound)):
        code, messages = 404, [force_str(getattr(exc, "detail", "") or _("未找到。"))]
    elif isinstance(exc, exceptions.Throttled):
        code, messages = 429, [force_str(exc.detail)]
        if exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
    elif isinstance(exc, exceptions.ValidationError):
        code, messages = 400, _flatten(exc.detail)
    elif isinstance(exc, DomainError):
        code = exc.status_code if exc.status_code in (403, 404) else 400
        messages = [f"{exc.field}: {exc.message}" if exc.field else exc.message]
    elif isinstance(exc, exceptions.APIException):
        code = exc.status_code if exc.status_code in (403, 404, 405, 413, 429) else 400
        messages = [force_str(exc.detail)]
    else:
        return None
    return Response(_errors(code, messages), status=code, headers=headers)


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, sub in detail.items():
            out += _flatten(sub, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(detail, list):
        return [m for sub in detail for m in _flatten(sub, prefix)]
    return [f"{prefix}: {force_str(detail)}" if prefix else force_str(detail)]


class Open311KeyAuthentication(ChannelKeyAuthentication):
    """The Authorization header, or the spec's `api_key` form / query parameter."""

    def authenticate(self, request: Request) -> Any:
        if not request.META.get("HTTP_AUTHORIZATION"):
            raw = request.query_params.get("api_key")
            if raw is None and request.method == "POST":
                raw = request.data.get("api_key")
            request._open311_api_key = raw or None
        return super().authenticate(request)


class Open311KeySchema(OpenApiAuthenticationExtension):
    target_class = "intake.open311.Open311KeyAuthentication"
    name = "open311ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "query",
            "name": "api_key",
            "description": "The channel key as the spec's `api_key` (a form field on POST; `Authorization: Key` works too).",
        }


class Open311View(APIView):
    renderer_classes = [Open311JSONRenderer, Open311XMLRenderer]
    authentication_classes = [Open311KeyAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [PublicThrottle]
    parser_classes = [FormParser]
    xml_root = "response"

    def get_exception_handler(self) -> Any:
        return open311_exception_handler

    def get_format_suffix(self, **kwargs: Any) -> str | None:
        # The suffix kwarg is `fmt`, not DRF's `format`: drf-spectacular skips `.{format}` routes.
        fmt = kwargs.get("fmt")
        return fmt if fmt in FORMATS else None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.format_kwarg = self.get_format_suffix(**kwargs)  # errors below must render in the asked format
        if self.format_kwarg is None:
            raise exceptions.NotFound(_("格式只能是 .json 或 .xml。"))
        refuse_oversized(request, max_body_bytes())
        super().initial(request, *args, **kwargs)

    def jurisdiction(self, request: Request) -> Centre | None:
        """The centre named by jurisdiction_id (404 when unknown); None when absent or empty."""
        code = (request.query_params.get("jurisdiction_id") or "").strip()
        if request.method == "POST":
            code = (request.data.get("jurisdiction_id") or code or "").strip()
        if not code:
            return None
        centre = Centre.objects.filter(code=code).first()
        if centre is None:
            raise exceptions.NotFound(_("未知的 jurisdiction_id。"))
        return centre


def _base_url(request: Request) -> str:
    return request.build_absolute_uri("/open311/v2/")


class DiscoveryView(Open311View):
    xml_root = "discovery"

    @extend_schema(
        operation_id="open311_discovery",
        summary="Open311 service discovery",
        auth=[],
        parameters=[FORMAT_PARAM],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/xml"): OpenApiTypes.STR},
        tags=["open311"],
    )
    def get(self, request: Request, fmt: str) -> Response:
        changed = catalogue_changeset()
        return Response(
            {
                "changeset": changed,
                "contact": _("政务服务中心 12345 热线"),
                "key_service": _("渠道密钥由中心管理员发放，每个渠道一把，可吊销。"),
                "endpoints": [
                    {
                        "specification": SPEC,
                        "url": _base_url(request),
                        "changeset": changed,
                        "type": "production",
                        "formats": ["text/xml", "application/json"],
                    }
                ],
            }
        )


class ServiceListView(Open311View):
    xml_root = "services"

    @extend_schema(
        operation_id="open311_services",
        summary="Open311 service list",
        auth=[],
        parameters=[FORMAT_PARAM, JURISDICTION_PARAM],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/xml"): OpenApiTypes.STR,
            404: ERRORS_SCHEMA,
        },
        tags=["open311"],
    )
    def get(self, request: Request, fmt: str) -> Response:
        return Response([s.as_dict() for s in service_list(self.jurisdiction(request))])


class ServiceDefinitionView(Open311View):
    xml_root = "service_definition"

    @extend_schema(
        operation_id="open311_service_definition",
        summary="Open311 service definition (typed attributes)",
        auth=[],
        parameters=[FORMAT_PARAM, JURISDICTION_PARAM],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/xml"): OpenApiTypes.STR,
            404: ERRORS_SCHEMA,
        },
        tags=["open311"],
    )
    def get(self, request: Request, service_code: str, fmt: str) -> Response:
        service = service_get(service_code, self.jurisdiction(request))
        if service is None:
            raise exceptions.NotFound(_("未知的 service_code。"))
        return Response({"service_code": service.code, "attributes": [a.as_dict() for a in service.attributes]})


# --- service requests ----------------------------------------------------------------------


def _end_of_day(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(17, 30)))


def _service_of_complaint(complaint: Complaint) -> tuple[str, str]:
    if complaint.matter_type_id:
        return matter_service_code(complaint.matter_type), complaint.matter_type.name
    if complaint.kind == Complaint.Kind.SUGGESTION:
        return "suggestion", _("建议")
    if complaint.category:
        return f"complaint-{complaint.category}", _("投诉：%(category)s") % {
            "category": complaint.get_category_display()
        }
    return "complaint", _("投诉")


def complaint_notice(complaint: Complaint, expected: Any = None) -> str:
    expected = expected or complaint_expected(complaint)
    return _("已受理，编号 %(no)s；将于 %(date)s 前答复（按工作日计算）。") % {
        "no": complaint.tracking_no,
        "date": timezone.localtime(expected.at).date().isoformat(),
    }


def complaint_record(complaint: Complaint, *, full: bool, calendar: WorkCalendar | None = None) -> dict[str, Any]:
    from govservice.masking import scrub

    expected = complaint_expected(complaint, calendar)
    code, name = _service_of_complaint(complaint)
    closed = complaint.status in CLOSED_COMPLAINT
    updated = getattr(complaint, "last_event_at", None) or complaint.updated_at
    return {
        "service_request_id": complaint.tracking_no,
        "status": "closed" if closed else "open",
        "status_notes": str(complaint.get_status_display()),
        "service_name": name,
        "service_code": code,
        # Complaint text is citizens' words: only the channel that sent it reads it back, scrubbed.
        "description": scrub(complaint.content)[:MAX_DESCRIPTION] if full else None,
        "agency_responsible": complaint.department.name if complaint.department_id else complaint.centre.name,
        "service_notice": complaint_notice(complaint, expected),
        "requested_datetime": iso(complaint.received_at),
        "updated_datetime": iso(updated),
        "expected_datetime": iso(expected.at),
        "address": f"{complaint.centre.name} {complaint.window.name}" if complaint.window_id else complaint.centre.name,
        "address_id": complaint.window.code if complaint.window_id else None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def evaluation_record(evaluation: Evaluation, *, full: bool) -> dict[str, Any]:
    bad_review = getattr(evaluation, "bad_review", None)
    is_open = bad_review is not None and bad_review.status in OPEN_BAD_REVIEW
    return {
        "service_request_id": str(evaluation.public_id),
        "status": "open" if is_open else "closed",
        "status_notes": str(bad_review.get_status_display()) if bad_review else str(evaluation.get_level_display()),
        "service_name": _("好差评"),
        "service_code": "evaluation",
        "description": str(evaluation.get_level_display()) if full else None,
        "agency_responsible": evaluation.window.name if evaluation.window_id else evaluation.centre.name,
        "service_notice": _("差评将在规定工作日内联系、核实与整改。") if bad_review else _("感谢您的评价。"),
        "requested_datetime": iso(evaluation.rated_at),
        "updated_datetime": iso(bad_review.updated_at if bad_review else evaluation.rated_at),
        "expected_datetime": iso(_end_of_day(bad_review.rectify_due)) if bad_review else None,
        "address": evaluation.centre.name,
        "address_id": evaluation.window.code if evaluation.window_id else None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _complaints() -> QuerySet[Complaint]:
    return Complaint.objects.select_related("centre", "department", "window", "matter_type__centre").annotate(
        last_event_at=Max("events__created_at")
    )


def _evaluations() -> QuerySet[Evaluation]:
    return Evaluation.objects.select_related("centre", "window", "bad_review").filter(follow_up_of__isnull=True)


def _parse_moment(value: str, name: str) -> datetime:
    moment = parse_datetime(value.replace(" ", "+"))
    if moment is None:
        raise exceptions.ValidationError({name: [_("须为带时区的 ISO 8601 时间。")]})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _page(params: Any) -> tuple[int, int]:
    """The de-facto `page` / `page_size` extension; without them, the spec's first 1000."""
    try:
        page = int(params.get("page") or 1)
        size = int(params.get("page_size") or MAX_RESULTS)
    except ValueError:
        raise exceptions.ValidationError({"page": [_("须为正整数。")]}) from None
    if page < 1 or not 1 <= size <= MAX_RESULTS or page * size > MAX_PAGED_RESULTS:
        raise exceptions.ValidationError({"page": [_("分页参数超出范围。")]})
    return page, size


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _owner_channel(request: Request) -> Channel | None:
    return request.auth.channel if isinstance(request.auth, ChannelKey) else None


def _full_for(request: Request, obj: Complaint | Evaluation) -> bool:
    channel = _owner_channel(request)
    return channel is not None and obj.channel_id == channel.id


class RequestListView(Open311View):
    xml_root = "service_requests"

    def get_permissions(self) -> list[Any]:
        return [HasChannelKey()] if self.request.method == "POST" else [AllowAny()]

    def get_throttles(self) -> list[Any]:
        return [ChannelThrottle()] if self.request.method == "POST" else [PublicThrottle()]

    @extend_schema(
        operation_id="open311_requests_list",
        summary="Open311 GET service requests",
        auth=[],
        parameters=[
            FORMAT_PARAM,
            JURISDICTION_PARAM,
            OpenApiParameter("service_request_id", OpenApiTypes.STR, description="Comma list; overrides all filters"),
            OpenApiParameter("service_code", OpenApiTypes.STR, description="Comma list"),
            OpenApiParameter("start_date", OpenApiTypes.DATETIME),
            OpenApiParameter("end_date", OpenApiTypes.DATETIME),
            OpenApiParameter("status", OpenApiTypes.STR, description="open, closed (comma list)"),
            OpenApiParameter("page", OpenApiTypes.INT, description="Extension: page number, from 1"),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Extension: 1–1000 (default 1000)"),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/xml"): OpenApiTypes.STR,
            400: ERRORS_SCHEMA,
            404: ERRORS_SCHEMA,
        },
        tags=["open311"],
    )
    def get(self, request: Request, fmt: str) -> Response:
        params = request.query_params
        centre = self.jurisdiction(request)
        complaints, evaluations = _complaints(), _evaluations()
        if centre is not None:
            complaints, evaluations = complaints.filter(centre=centre), evaluations.filter(centre=centre)
        ids = _split(params.get("service_request_id"))
        if ids:
            uuids = [i for i in ids if re.fullmatch(r"[0-9a-fA-F-]{36}", i)]
            complaints = complaints.filter(tracking_no__in=ids)
            evaluations = evaluations.filter(public_id__in=uuids)
        else:
            complaints, evaluations = self._filter(params, complaints, evaluations)
        page, size = _page(params)
        end = page * size
        rows = [*complaints.order_by("-received_at")[:end], *evaluations.order_by("-rated_at")[:end]]
        rows.sort(key=lambda o: o.received_at if isinstance(o, Complaint) else o.rated_at, reverse=True)
        calendar = WorkCalendar.load()
        return Response([self._record(request, o, calendar) for o in rows[end - size : end]])

    @staticmethod
    def _record(request: Request, obj: Complaint | Evaluation, calendar: WorkCalendar) -> dict[str, Any]:
        full = _full_for(request, obj)
        if isinstance(obj, Complaint):
            return complaint_record(obj, full=full, calendar=calendar)
        return evaluation_record(obj, full=full)

    @staticmethod
    def _filter(params: Any, complaints: QuerySet, evaluations: QuerySet) -> tuple[QuerySet, QuerySet]:
        now = timezone.now()
        start = _parse_moment(params["start_date"], "start_date") if params.get("start_date") else None
        end = _parse_moment(params["end_date"], "end_date") if params.get("end_date") else None
        if start and end and end < start:
            raise exceptions.ValidationError({"end_date": [_("结束时间早于开始时间。")]})
        if start is None:
            start = (end or now) - timedelta(days=DEFAULT_DAYS)
        if end is None:
            end = min(now, start + timedelta(days=DEFAULT_DAYS)) if params.get("start_date") else now
        if end - start > timedelta(days=DEFAULT_DAYS):
            raise exceptions.ValidationError({"end_date": [_("查询跨度不能超过 90 天。")]})
        complaints = complaints.filter(received_at__gte=start, received_at__lte=end)
        evaluations = evaluations.filter(rated_at__gte=start, rated_at__lte=end)

        statuses = _split(params.get("status"))
        if any(s not in ("open", "closed") for s in statuses):
            raise exceptions.ValidationError({"status": [_("状态只能是 open 或 closed。")]})
        if statuses and len(set(statuses)) == 1:
            if statuses[0] == "closed":
                complaints = complaints.filter(status__in=CLOSED_COMPLAINT)
                evaluations = evaluations.exclude(bad_review__status__in=OPEN_BAD_REVIEW)
            else:
                complaints = complaints.exclude(status__in=CLOSED_COMPLAINT)
                evaluations = evaluations.filter(bad_review__status__in=OPEN_BAD_REVIEW)

        codes = _split(params.get("service_code"))
        if codes:
            from django.db.models import Q

            query = Q(pk__in=[])
            want_evaluations = "evaluation" in codes
            for code in codes:
                if code == "complaint":
                    query |= Q(kind=Complaint.Kind.COMPLAINT, matter_type__isnull=True, category="")
                elif code == "suggestion":
                    query |= Q(kind=Complaint.Kind.SUGGESTION, matter_type__isnull=True)
                elif code.startswith("complaint-"):
                    query |= Q(kind=Complaint.Kind.COMPLAINT, matter_type__isnull=True, category=code[10:])
                elif code.startswith("matter-"):
                    query |= Q(matter_type__in=[s.matter_type for s in _matter_by_code(code)])
                elif code != "evaluation":
                    raise exceptions.NotFound(_("未知的 service_code：%(code)s") % {"code": code})
            complaints = complaints.filter(query)
            if not want_evaluations:
                evaluations = evaluations.none()
        return complaints, evaluations

    @extend_schema(
        operation_id="open311_requests_create",
        summary="Open311 POST a service request (form-encoded, api_key)",
        request={
            "application/x-www-form-urlencoded": inline_serializer(
                name="Open311RequestForm",
                fields={
                    "api_key": serializers.CharField(),
                    "service_code": serializers.CharField(),
                    "jurisdiction_id": serializers.CharField(required=False),
                    "address_string": serializers.CharField(required=False),
                    "address_id": serializers.CharField(required=False),
                    "lat": serializers.FloatField(required=False),
                    "long": serializers.FloatField(required=False),
                    "description": serializers.CharField(required=False, max_length=MAX_DESCRIPTION),
                    "first_name": serializers.CharField(required=False),
                    "last_name": serializers.CharField(required=False),
                    "phone": serializers.CharField(required=False),
                    "email": serializers.CharField(required=False),
                    "device_id": serializers.CharField(required=False),
                    "account_id": serializers.CharField(required=False),
                    "media_url": serializers.CharField(required=False),
                },
            )
        },
        parameters=[FORMAT_PARAM],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/xml"): OpenApiTypes.STR,
            400: ERRORS_SCHEMA,
            403: ERRORS_SCHEMA,
            404: ERRORS_SCHEMA,
        },
        tags=["open311"],
    )
    def post(self, request: Request, fmt: str) -> Response:
        channel: Channel = request.auth.channel
        form = _form(request)
        data = {k: (v if len(v) > 1 else v[0]) for k, v in form.lists() if k != "api_key"}
        return run_idempotent(
            channel=channel,
            key=idempotency_key_from(request.META),
            endpoint="open311",
            data=data,
            handler=lambda: self._create(request, channel),
            error_handler=open311_exception_handler,
        )

    def _create(self, request: Request, channel: Channel) -> Response:
        form = _form(request)
        unknown = sorted(k for k in form if k not in POST_FIELDS and not ATTRIBUTE_RE.match(k))
        if unknown:
            raise exceptions.ValidationError({k: [_("不支持此参数。")] for k in unknown})
        code = (form.get("service_code") or "").strip()
        if not code:
            raise exceptions.ValidationError({"service_code": [_("必填。")]})
        centre = self.jurisdiction(request)
        service = service_get(code, centre)
        if service is None:
            raise exceptions.NotFound(_("未知的 service_code。"))
        if service.matter_type is not None:
            if centre is not None and service.matter_type.centre_id != centre.id:
                raise exceptions.NotFound(_("未知的 service_code。"))
            centre = service.matter_type.centre
        if centre is not None and not channel.centres.filter(pk=centre.pk).exists():
            raise exceptions.NotFound(_("未知的 jurisdiction_id。"))
        attributes = _attributes(form, service)
        fields = _location_and_person(form)
        payload = {
            "centre": centre.code if centre else None,
            "window": attributes.get("window") or fields.get("address_id"),
            "staff_no": attributes.get("staff_no"),
        }
        if service.record == "evaluation":
            evaluation, _created = evaluation_receive(
                channel=channel,
                data={
                    **payload,
                    "level": attributes["level"],
                    "case": attributes.get("case"),
                    "tags": attributes.get("tags") or [],
                    "text": fields.get("description", ""),
                    "evaluator_name": fields.get("name", ""),
                    "evaluator_phone": fields.get("phone", ""),
                    "is_real_name": bool(fields.get("phone")),
                },
            )
            body = {"service_request_id": str(evaluation.public_id), "service_notice": _("感谢您的评价。")}
        else:
            description = fields.get("description", "")
            if not description:
                raise exceptions.ValidationError({"description": [_("请填写投诉或建议的内容。")]})
            if service.category:
                with translation.override(settings.LANGUAGE_CODE):  # stored text is in the centre's language
                    description = f"【{service_get(service.code, None).name}】{description}"
            complaint, _created = complaint_receive(
                channel=channel,
                data={
                    **payload,
                    "kind": "suggestion" if service.record == "suggestion" else "complaint",
                    "content": description,
                    "contact_name": fields.get("name", ""),
                    "contact_phone": fields.get("phone", ""),
                    "matter_type": service.matter_type.code if service.matter_type else None,
                },
            )
            body = {"service_request_id": complaint.tracking_no, "service_notice": complaint_notice(complaint)}
        body["account_id"] = fields.get("account_id") or None
        return Response([body], status=status.HTTP_200_OK)


def _form(request: Request) -> QueryDict:
    """The POST form; an empty body parses to a plain dict, which has no multi-values."""
    data = request.data
    return data if isinstance(data, QueryDict) else QueryDict("")


def _matter_by_code(code: str) -> list[Service]:
    service = service_get(code, None)
    return [service] if service is not None else []


def _attributes(form: Any, service: Service) -> dict[str, Any]:
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


def _location_and_person(form: Any) -> dict[str, str]:
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
    phone = get("phone", 20)
    if phone and not PHONE_RE.match(phone):
        raise exceptions.ValidationError({"phone": [_("手机号格式不正确。")]})
    out["phone"] = phone
    out["account_id"] = get("account_id", 100)
    get("email", 254)
    get("device_id", 100)
    get("media_url", 500)
    return out


class RequestDetailView(Open311View):
    xml_root = "service_requests"

    @extend_schema(
        operation_id="open311_request_detail",
        summary="Open311 GET one service request",
        auth=[],
        parameters=[FORMAT_PARAM, JURISDICTION_PARAM],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/xml"): OpenApiTypes.STR,
            404: ERRORS_SCHEMA,
        },
        tags=["open311"],
    )
    def get(self, request: Request, service_request_id: str, fmt: str) -> Response:
        centre = self.jurisdiction(request)
        complaints, evaluations = _complaints(), _evaluations()
        if centre is not None:
            complaints, evaluations = complaints.filter(centre=centre), evaluations.filter(centre=centre)
        complaint = complaints.filter(tracking_no=service_request_id).first()
        if complaint is not None:
            return Response([complaint_record(complaint, full=_full_for(request, complaint))])
        if re.fullmatch(r"[0-9a-fA-F-]{36}", service_request_id):
            evaluation = evaluations.filter(public_id=service_request_id).first()
            if evaluation is not None:
                return Response([evaluation_record(evaluation, full=_full_for(request, evaluation))])
        raise exceptions.NotFound(_("未找到该服务请求。"))
