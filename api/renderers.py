from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer


class PrebuiltJSONRenderer(JSONRenderer):
    """JSON that the database already wrote (prepared documents, registry.documents: UTF-8 bytes,
    or text) is passed on as it is; anything else (a problem document, a write's answer) is rendered as JSON."""

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if isinstance(data, bytes):
            return data
        if isinstance(data, str):
            return data.encode()
        return super().render(data, accepted_media_type, renderer_context)


class GeoJSONRenderer(JSONRenderer):
    """RFC 7946 GeoJSON, chosen by `Accept: application/geo+json` or `?format=geojson`."""

    media_type = "application/geo+json"
    format = "geojson"


class PrebuiltGeoJSONRenderer(PrebuiltJSONRenderer):
    """GeoJSON that the database already wrote, or any other answer rendered as JSON."""

    media_type = "application/geo+json"
    format = "geojson"
