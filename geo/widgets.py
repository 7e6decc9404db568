"""The map widget maintainers use in the admin to place, move and clear a point.

Django's OpenLayers widgets load OpenLayers from a CDN, show OpenStreetMap tiles and start with an
inline script, which the Content-Security-Policy refuses (config/middleware.py). Ours serves
OpenLayers from our own static files (npm package `ol`), shows the configured base map (PDOK
BRT-Achtergrondkaart by default) and starts from a static script that reads its settings from
data attributes. The field holds GeoJSON in WGS84 (SRID 4326, the model's own), so a point that
nobody touched comes back exactly as it was stored: no phantom change in the history.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.forms.widgets import BaseGeometryWidget


class PointMapWidget(BaseGeometryWidget):
    template_name = "geo/point_map_widget.html"
    map_srid = 4326
    default_lon = 5.29
    default_lat = 52.13
    default_zoom = 7

    class Media:
        css = {"all": ("vendor/ol/ol.css", "geo/point-map-widget.css")}
        js = ("vendor/ol/dist/ol.js", "geo/point-map-widget.js")

    def serialize(self, value: Any) -> str:
        # GEOS writes every digit of the stored double: the value round-trips unchanged.
        return value.json if value else ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context.update(tile_url=settings.MAP_TILE_URL, tile_attribution=settings.MAP_TILE_ATTRIBUTION,
                       default_lon=self.default_lon, default_lat=self.default_lat, default_zoom=self.default_zoom)
        return context
