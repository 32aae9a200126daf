"""Open311 GeoReport v2 views: discovery, services, service definitions, requests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.models import Channel, Complaint, Evaluation
from govservice.input_guard import GuardedFormParser
from govservice.models import Centre
from govservice.selectors import centre_by_code
from govservice.workdays import WorkCalendar

from ..auth import ChannelKeyAuthentication, ChannelThrottle, HasChannelKey, channel_of
from ..idempotency import idempotency_key_from, run_idempotent
from ..strict import max_body_bytes, refuse_oversized
from ..submit import complaint_receive, evaluation_receive
from .catalog import changeset as catalogue_changeset
from .catalog import service_get, service_list
from .errors import open311_exception_handler
from .formats import Open311JSONRenderer, Open311XMLRenderer
from .inputs import (
    ATTRIBUTE_RE,
    DEFAULT_DAYS,
    POST_FIELDS,
    matter_services_by_code,
    parse_attributes,
    parse_location_and_person,
    parse_moment,
    parse_page,
    post_form,
    split_list,
)
from .records import (
    CLOSED_COMPLAINT,
    MAX_DESCRIPTION,
    OPEN_BAD_REVIEW,
    complaint_notice,
    complaint_record,
    complaints_queryset,
    evaluation_record,
    evaluations_queryset,
    is_full_for,
)

SPEC = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")
ERRORS_SCHEMA = inline_serializer(
    name="Open311Error", fields={"code": serializers.IntegerField(), "description": serializers.CharField()}, many=True
)
FORMAT_PARAM = OpenApiParameter(
    "fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["json", "xml"], description="Response format (path suffix)"
)
JURISDICTION_PARAM = OpenApiParameter(
    "jurisdiction_id", OpenApiTypes.STR, description="Centre code; optional when one centre is meant"
)


def _form_field(request: Request, name: str) -> Any:
    """A field of the POSTed form (the Open311 views parse forms only, so the data is a QueryDict)."""
    data = request.data
    return data.get(name) if isinstance(data, Mapping) else None


class Open311KeyAuthentication(ChannelKeyAuthentication):
    """The Authorization header, or on POST the spec's `api_key` form field.

    Never the query string (the spec puts `api_key` in the POST body): a key there is refused with 400
    by ChannelKeyAuthentication before it is read.
    """

    def key_without_header(self, request: Request) -> str:
        raw = _form_field(request, "api_key") if request.method == "POST" else None
        return raw or ""


class Open311KeySchema(OpenApiAuthenticationExtension):
    target_class = "intake.open311.views.Open311KeyAuthentication"
    name = "open311ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Key <channel key>`; on POST also the spec's `api_key` form field. Never in the query string "
                "(400). With a key, reads are counted per key rather than per address."
            ),
        }


class Open311View(APIView):
    renderer_classes = [Open311JSONRenderer, Open311XMLRenderer]
    authentication_classes = [Open311KeyAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [ChannelThrottle]  # per key when one is given, per address otherwise
    parser_classes = [GuardedFormParser]
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
            code = (_form_field(request, "jurisdiction_id") or code or "").strip()
        if not code:
            return None
        centre = centre_by_code(code)
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


class RequestListView(Open311View):
    xml_root = "service_requests"

    def get_permissions(self) -> list[Any]:
        return [HasChannelKey()] if self.request.method == "POST" else [AllowAny()]

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
        complaints, evaluations = complaints_queryset(), evaluations_queryset()
        if centre is not None:
            complaints, evaluations = complaints.filter(centre=centre), evaluations.filter(centre=centre)
        ids = split_list(params.get("service_request_id"))
        if ids:
            uuids = [i for i in ids if re.fullmatch(r"[0-9a-fA-F-]{36}", i)]
            complaints = complaints.filter(tracking_no__in=ids)
            evaluations = evaluations.filter(public_id__in=uuids)
        else:
            complaints, evaluations = self._filter(params, complaints, evaluations)
        page, size = parse_page(params)
        end = page * size
        rows: list[Complaint | Evaluation] = [
            *complaints.order_by("-received_at")[:end],
            *evaluations.order_by("-rated_at")[:end],
        ]
        rows.sort(key=lambda o: o.received_at if isinstance(o, Complaint) else o.rated_at, reverse=True)
        calendar = WorkCalendar.load()
        return Response([self._record(request, o, calendar) for o in rows[end - size : end]])

    @staticmethod
    def _record(request: Request, obj: Complaint | Evaluation, calendar: WorkCalendar) -> dict[str, Any]:
        full = is_full_for(request, obj)
        if isinstance(obj, Complaint):
            return complaint_record(obj, full=full, calendar=calendar)
        return evaluation_record(obj, full=full)

    @staticmethod
    def _filter(params: Any, complaints: QuerySet, evaluations: QuerySet) -> tuple[QuerySet, QuerySet]:
        now = timezone.now()
        start = parse_moment(params["start_date"], "start_date") if params.get("start_date") else None
        end = parse_moment(params["end_date"], "end_date") if params.get("end_date") else None
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

        statuses = split_list(params.get("status"))
        if any(s not in ("open", "closed") for s in statuses):
            raise exceptions.ValidationError({"status": [_("状态只能是 open 或 closed。")]})
        if statuses and len(set(statuses)) == 1:
            if statuses[0] == "closed":
                complaints = complaints.filter(status__in=CLOSED_COMPLAINT)
                evaluations = evaluations.exclude(bad_review__status__in=OPEN_BAD_REVIEW)
            else:
                complaints = complaints.exclude(status__in=CLOSED_COMPLAINT)
                evaluations = evaluations.filter(bad_review__status__in=OPEN_BAD_REVIEW)

        codes = split_list(params.get("service_code"))
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
                    query |= Q(matter_type__in=[s.matter_type for s in matter_services_by_code(code)])
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
        channel = channel_of(request)
        form = post_form(request)
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
        form = post_form(request)
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
        attributes = parse_attributes(form, service)
        fields = parse_location_and_person(form)
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
                    "invitation": attributes.get("invitation"),
                    "tags": attributes.get("tags") or [],
                    "text": fields.get("description", ""),
                    "evaluator_name": fields.get("name", ""),
                    "evaluator_phone": fields.get("phone", ""),
                    "is_real_name": bool(fields.get("phone")),
                },
            )
            body: dict[str, str | None] = {
                "service_request_id": str(evaluation.public_id),
                "service_notice": _("感谢您的评价。"),
            }
        else:
            description = fields.get("description", "")
            if not description:
                raise exceptions.ValidationError({"description": [_("请填写投诉或建议的内容。")]})
            if service.category:
                with translation.override(settings.LANGUAGE_CODE):  # stored text is in the centre's language
                    named = service_get(service.code, None) or service  # a category's service is a common one
                    description = f"【{named.name}】{description}"
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
        complaints, evaluations = complaints_queryset(), evaluations_queryset()
        if centre is not None:
            complaints, evaluations = complaints.filter(centre=centre), evaluations.filter(centre=centre)
        complaint = complaints.filter(tracking_no=service_request_id).first()
        if complaint is not None:
            return Response([complaint_record(complaint, full=is_full_for(request, complaint))])
        if re.fullmatch(r"[0-9a-fA-F-]{36}", service_request_id):
            evaluation = evaluations.filter(public_id=service_request_id).first()
            if evaluation is not None:
                return Response([evaluation_record(evaluation, full=is_full_for(request, evaluation))])
        raise exceptions.NotFound(_("未找到该服务请求。"))


class TokenView(Open311View):
    """Every service here is `realtime`: requests get an id at once, so no token ever exists."""

    xml_root = "service_requests"

    @extend_schema(
        operation_id="open311_token",
        summary="Open311 GET service_request_id from a token (no batch services: always 404)",
        auth=[],
        parameters=[FORMAT_PARAM, JURISDICTION_PARAM],
        responses={404: ERRORS_SCHEMA},
        tags=["open311"],
    )
    def get(self, request: Request, token: str, fmt: str) -> Response:
        raise exceptions.NotFound(_("所有服务均为实时服务，没有令牌。"))
