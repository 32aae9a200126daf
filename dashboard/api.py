"""JSON API of the dashboard: the same figures as the page, for the city's big screen."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govservice import access
from staff.http import AuthenticatedRequest

from .figures import DashboardFilters, dashboard_cached_for


class DashboardApi(APIView):
    """The dashboard's figures as JSON, for the city's big screen and reporting systems."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthenticatedRequest) -> Response:
        if not access.has_management_role(request.user):
            raise NotFound  # the same answer as the page: leaders and administrators only
        data = dashboard_cached_for(user=request.user, filters=DashboardFilters.from_query(request.query_params))
        return Response(asdict(data))
