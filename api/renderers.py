from rest_framework.renderers import JSONRenderer


class GeoJSONRenderer(JSONRenderer):
    """RFC 7946 GeoJSON, chosen by `Accept: application/geo+json` or `?format=geojson`."""

    media_type = "application/geo+json"
    format = "geojson"

