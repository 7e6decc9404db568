"""The map on the OGC API's HTML pages of features: a folium map (geo.maps) that the static
ogc/features-map.js fills with the page's own GeoJSON. The features reach the script as data the
page holds (json_script), never as script text, so no name of a feature can run as code."""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static

from config.csp import trust_blocks
from geo.maps import RenderedMap, ScriptCall, SiteMap, render_parts

DATA_ID = "features-data"
BOX_FIELD_ID = "items-bbox"
BOX_BUTTON_ID = "items-bbox-from-map"


def features_map(label: str, *, with_box: bool) -> RenderedMap:
    """The map's parts; `with_box`: the map's view can be taken as the filter form's box."""
    folium_map = SiteMap(label=label, name="features")
    options: dict[str, Any] = {"source": DATA_ID}
    if with_box:
        options.update(boxField=BOX_FIELD_ID, boxButton=BOX_BUTTON_ID)
    ScriptCall("ogcFeatures.start", options, scripts=(static("ogc/features-map.js"),)).add_to(folium_map)
    parts = render_parts(folium_map)
    trust_blocks(parts.inline_blocks)
    return parts
