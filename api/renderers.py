from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer


class GeoJSONRenderer(JSONRenderer):
    """RFC 7946 GeoJSON, chosen by `Accept: application/geo+json` or `?format=geojson`."""

    media_type = "application/geo+json"
    format = "geojson"



class PrebuiltGeoJSONRenderer(GeoJSONRenderer):
    """GeoJSON text that the database already wrote is passed on as it is; anything else (a
    problem document) is rendered as JSON."""

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if isinstance(data, str):
            return data.encode()
        return super().render(data, accepted_media_type, renderer_context)
