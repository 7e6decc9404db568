from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import LabelSerializer


class VocabularySerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a field: DRF takes it off the class
    order = serializers.IntegerField(read_only=True)

    @extend_schema_field(LabelSerializer)
    def get_label(self, term: Any) -> dict[str, str]:
        return {"nl": term.label_nl, "en": term.label_en}
