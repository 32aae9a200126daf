"""OpenAPI schema generation tuned to the house style."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import Direction
from rest_framework import serializers


class AutoSchema(SpectacularAutoSchema):
    """Names nested serializers after their view.

    STYLE.md nests `InputSerializer` / `OutputSerializer` inside each APIView, so
    bare class names collide in the schema's components. `CaseTransitionApi.
    InputSerializer` becomes the component `CaseTransitionApiInput`.
    """

    def get_serializer_name(self, serializer: serializers.Serializer, direction: Direction) -> str:
        qualname = type(serializer).__qualname__
        if "." in qualname:
            return qualname.replace(".<locals>", "").replace(".", "")
        return super().get_serializer_name(serializer, direction)


# The URL spaces of the channels' API (a channel key, no login): the public part of the schema.
CHANNEL_PATH_PREFIXES = ("/api/v1/intake/", "/api/v1/queue/", "/open311/")


def channel_endpoints_only(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """drf-spectacular preprocessing hook: keep the channels' endpoints (path is each tuple's first item)."""
    return [endpoint for endpoint in endpoints if str(endpoint[0]).startswith(CHANNEL_PATH_PREFIXES)]


# The public schema of /api/schema/channels/: the channels' endpoints only (the staff API's schema needs a login).
CHANNEL_SCHEMA_SETTINGS = {
    "TITLE": "govservice channel API",
    "DESCRIPTION": "The feedback channels' API: evaluations, complaints, updates, webhooks, queue machine events, Open311 GeoReport v2.",
    "PREPROCESSING_HOOKS": ["govservice.schema.channel_endpoints_only"],
}
