"""How drf-spectacular documents our own fields: a code going in, an object coming out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from api.serializers.common import AreaRefSerializer, VocabularyRefSerializer


class CodeOnInputExtension(OpenApiSerializerFieldExtension):
    reference: type

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if direction == "request":
            return {"type": "string", "description": self.description}
        return auto_schema.resolve_serializer(self.reference, direction).ref  # type: ignore[no-any-return]


class VocabularyFieldExtension(CodeOnInputExtension):
    target_class = "api.serializers.common.VocabularyField"
    reference = VocabularyRefSerializer
    description = "The term's code."


class AreaRefFieldExtension(CodeOnInputExtension):
    target_class = "api.serializers.common.AreaRefField"
    reference = AreaRefSerializer
    description = "The area's CBS code."
