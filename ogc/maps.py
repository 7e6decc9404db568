"""The map on the OGC API's HTML pages of features: a folium map (geo.maps) that the static
ogc/features-map.js fills with the page's own GeoJSON. The features reach the script as data the
page holds (json_script), never as script text, so no name of a feature can run as code; and the
map itself is the same for every page of a language, so it is composed once per process."""

from __future__ import annotations

import functools
from typing import Any

from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _

from config.csp import trust_blocks
from geo.maps import RenderedMap, ScriptCall, SiteMap, render_parts

DATA_ID = "features-data"
BOX_FIELD_ID = "items-bbox"
BOX_BUTTON_ID = "items-bbox-from-map"


def features_map(*, with_box: bool) -> RenderedMap:
    """The map's parts, its inline code allowed on the page being made; `with_box`: the map's view
    can be taken as the filter form's box."""
    parts = _composed(translation.get_language(), with_box)
    trust_blocks(parts.inline_blocks)
    return parts


@functools.lru_cache(maxsize=16)
def _composed(language: str | None, with_box: bool) -> RenderedMap:
    # Composing and rendering a folium map costs about 5 ms; its parts depend only on these two.
    with translation.override(language):
        folium_map = SiteMap(label=_("Map of the features on this page"), name="features")
        options: dict[str, Any] = {"source": DATA_ID}
        if with_box:
            options.update(boxField=BOX_FIELD_ID, boxButton=BOX_BUTTON_ID)
        ScriptCall("ogcFeatures.start", options, scripts=(static("ogc/features-map.js"),)).add_to(folium_map)
        return render_parts(folium_map)
