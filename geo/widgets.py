"""The map widget maintainers use in the admin to place and move a point.

Django's OpenLayers widget loads OpenLayers from a CDN and shows OpenStreetMap tiles; ours
serves OpenLayers from our own static files (npm package `ol`) and shows the configured base
map (PDOK BRT-Achtergrondkaart by default).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.forms.widgets import OSMWidget


class PointMapWidget(OSMWidget):
    template_name = "geo/point_map_widget.html"
    default_lon = 5.29
    default_lat = 52.13
    default_zoom = 7

    class Media:
        extend = False  # replace, not add to, the parent's CDN files
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/dist/ol.js", "gis/js/OLMapWidget.js")

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["tile_url"] = settings.MAP_TILE_URL
        context["tile_attribution"] = settings.MAP_TILE_ATTRIBUTION
        return context
