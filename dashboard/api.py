"""JSON API of the dashboard: the same figures as the page, for the city's big screen."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govservice import access, metrics
from govservice.replica import replica_view
from staff.http import AuthenticatedRequest

from .figures import DashboardFilters, dashboard_cached_for


class DashboardApi(APIView):
    """The dashboard's figures as JSON, for the city's big screen and reporting systems."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @replica_view
    def get(self, request: AuthenticatedRequest) -> Response:
        if not access.has_management_role(request.user):
            raise NotFound  # the same answer as the page: leaders and administrators only
        data = dashboard_cached_for(user=request.user, filters=DashboardFilters.from_query(request.query_params))
        return Response(asdict(data))


class MetricListApi(APIView):
    """Figures of the metrics registry (govservice.metrics) for the caller: the numbers the pages show.

    `?name=complaints_open&name=bad_reviews_overdue@city` (repeatable; none: every registered figure).
    Each answer says what it counts, its period and the list of its rows.
    """

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
        period = serializers.CharField()
        value = serializers.FloatField(allow_null=True)
        url = serializers.CharField()

    @extend_schema(
        parameters=[OpenApiParameter("name", str, many=True, required=False)],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        names = request.query_params.getlist("name") or metrics.names()
        out = []
        for name in names:
            try:
                figure = metrics.get(name)
            except KeyError as exc:
                raise NotFound from exc
            out.append(
                {
                    "name": figure.name,
                    "label": str(figure.label),
                    "period": figure.period_label,
                    "value": figure.value(request.user),
                    "url": figure.url,
                }
            )
        # Counts stay integers (the serializer's FloatField only documents the type: a number or null).
        return Response(out)
