"""How drf-spectacular documents our own fields: a code going in, an object coming out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from api.serializers.common import AreaRefSerializer, VocabularyRefSerializer
from registry.filters import BBoxFilter, LonLatFilter

# The shared filter set lives in the domain, which knows nothing of the API's documentation: its
# box and point parameters are documented here as the strings they are ("minLon,minLat,...").
for text_filter in (BBoxFilter, LonLatFilter):
    extend_schema_field(OpenApiTypes.STR)(text_filter)


class CodeOnInputExtension(OpenApiSerializerFieldExtension):
    reference: type
    description: str

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if direction == "request":
            return {"type": "string", "description": self.description}
        return auto_schema.resolve_serializer(self.reference, direction).ref


class VocabularyFieldExtension(CodeOnInputExtension):
    target_class = "api.serializers.common.VocabularyField"
    reference = VocabularyRefSerializer
    description = "The term's code."


class AreaRefFieldExtension(CodeOnInputExtension):
    target_class = "api.serializers.common.AreaRefField"
    reference = AreaRefSerializer
    description = "The area's CBS code."
