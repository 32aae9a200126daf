"""OpenAPI schema generation tuned to the house style."""

from __future__ import annotations

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
