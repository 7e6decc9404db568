"""Leaflet maps composed with folium, for the public pages.

folium's defaults load Leaflet, jQuery, Bootstrap and Font Awesome from CDNs and make the map
fill the whole window. Ours load Leaflet and its plugins from our own static files (npm
packages, see NPM_STATIC_FILES), show the configured base map with its attribution, and render
as three parts (head links, the map element, the script) that a Django template places.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from folium.template import Template

NETHERLANDS_CENTRE = (52.2, 5.3)
NETHERLANDS_ZOOM = 7
NETHERLANDS_BOUNDS = [(50.75, 3.36), (53.56, 7.23)]  # south-west, north-east (lat, lon) of the land


class SiteMap(folium.Map):
    """A folium map that fits inside a page of the site and loads nothing from elsewhere."""

    # folium's own template also sets a viewport that forbids zooming the page (an accessibility
    # failure) and stretches <html> and <body>; ours only makes the map element and the map.
    _template = Template("""
        {% macro header(this, kwargs) %}{% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="map" id={{ this.get_name()|tojson }} role="region"
                 aria-label="{{ this.label|e }}"></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            L.Icon.Default.imagePath = "";
            L.Icon.Default.mergeOptions({{ this.default_icon|tojson }});
            var {{ this.get_name() }} = L.map({{ this.get_name()|tojson }}, {
                center: {{ this.location|tojson }},
                crs: L.CRS.{{ this.crs }},
                ...{{ this.options|tojavascript }}
            });
            L.control.zoom({zoomInTitle: {{ this.zoom_in_title|tojson }},
                            zoomOutTitle: {{ this.zoom_out_title|tojson }}}).addTo({{ this.get_name() }});
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
            {{ this.get_name() }}.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
        {% endmacro %}
    """)

    def __init__(self, *, label: str, name: str = "map", location: tuple[float, float] = NETHERLANDS_CENTRE,
                 zoom_start: int = NETHERLANDS_ZOOM, **kwargs: Any) -> None:
        super().__init__(location=location, zoom_start=zoom_start, tiles=None, zoom_control=False,
                         min_zoom=6, max_zoom=19, **kwargs)
        self.label = folium_text(label)
        # Leaflet's own control titles are English; these follow the page's language.
        self.zoom_in_title, self.zoom_out_title = _("Zoom in"), _("Zoom out")
        self._name, self._id = "map", name  # a stable element id (map_<name>) for the page and tests
        self.default_js = [("leaflet", static("vendor/leaflet/leaflet.js"))]
        self.default_css = [("leaflet_css", static("vendor/leaflet/leaflet.css"))]
        # Leaflet guesses its images' folder from leaflet.css's address and misses the hashed names
        # of the collected static files (a 404 for the pin's retina image and shadow, so no pin on a
        # phone): the default pin gets its images' addresses from here.
        self.default_icon = {"iconUrl": static("vendor/leaflet/images/marker-icon.png"),
                             "iconRetinaUrl": static("vendor/leaflet/images/marker-icon-2x.png"),
                             "shadowUrl": static("vendor/leaflet/images/marker-shadow.png")}
        base = folium.TileLayer(tiles=settings.MAP_TILE_URL, attr=settings.MAP_TILE_ATTRIBUTION, name="base",
                                min_zoom=6, max_zoom=19, max_native_zoom=19)
        # Named, not numbered at random: the same map renders the same bytes (and CSP hash), so a page
        # holding it keeps its ETag and a client's copy its 304.
        base._id = f"{name}_base"
        base.add_to(self)


class ScriptCall(MacroElement):
    """Hands the folium-made map (and named layers) to our own page script: `start(map, layers, options)`.

    The page's behaviour lives in a static file that can be read, linted and cached; folium only
    composes the map and passes it on.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this.function }}({{ this._parent.get_name() }}, {
                {%- for key, layer in this.layers.items() %}{{ key|tojson }}: {{ layer.get_name() }},{% endfor -%}
            }, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, function: str, options: dict[str, Any], layers: dict[str, Element] | None = None,
                 scripts: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._name = "ScriptCall"
        self.function, self.options, self.layers, self.scripts = function, options, layers or {}, scripts

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # returns None, as MacroElement.render
        figure = self.get_root()
        assert isinstance(figure, Figure), "rendered in a map's figure"  # as MacroElement.render asserts
        for url in self.scripts:  # before the map's own script, which calls into them
            figure.header.add_child(Element(f'<script src="{url}"></script>'), name=url)
        super().render(**kwargs)


@dataclass(frozen=True)
class RenderedMap:
    """The parts of a rendered folium map, for the blocks of a Django template, and the inline
    code in them (the script and folium's own style blocks), which the page's Content-Security-
    Policy must be told to allow."""

    head: SafeString
    body: SafeString
    script: SafeString
    styles: tuple[str, ...]

    @property
    def inline_blocks(self) -> list[tuple[str, str]]:
        """The (kind, content) of each inline block the page will hold, for its policy."""
        return [("script", str(self.script)), *(("style", style) for style in self.styles)]


def render_parts(folium_map: folium.Map) -> RenderedMap:
    figure = folium_map.get_root()
    assert isinstance(figure, Figure), "a folium map is placed in a figure of its own"
    figure.render()  # lets every element add its links and script to the figure
    # folium renders JSON into the script and the attributes itself; its output is markup by design.
    # The script goes inside a <script> element, which any "</" of a text in it (a name holding
    # "</script>") would end: "<\/" means the same in JavaScript strings and JSON.
    head, body = figure.header.render(), figure.html.render()
    script = figure.script.render().replace("</", "<\\/")
    styles = tuple(FOLIUM_STYLE.findall(head + body))  # folium's own, e.g. for GeoJSON tooltips
    return RenderedMap(head=mark_safe(head), body=mark_safe(body), script=mark_safe(script), styles=styles)


FOLIUM_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


# branca compiles every rendered part of a map once more as a Jinja template (MacroElement.render
# wraps each in an Element), so a text holding "{{", "{%" or "{#" would run as template code.
# Each "{" becomes a raw block around itself, which that second pass turns back into "{". The
# block holds no quote, "<", ">" or "&", so it passes unchanged through JSON and HTML escaping.
JINJA_SAFE = str.maketrans({"{": "{% raw %}{{% endraw %}"})

# folium writes a tooltip's text as HTML into a JavaScript template literal: as well as HTML's
# own characters, a backtick would end the literal, "${" would run code, and "\\" would escape.
TEMPLATE_LITERAL_HTML = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def folium_text(text: str) -> str:
    """Any text of ours (a name, a label) for folium's options and labels, shown as written."""
    return text.translate(JINJA_SAFE)


def tooltip_text(text: str) -> str:
    """Plain text for folium's `tooltip=`, shown as written whatever characters it holds."""
    return folium_text(html.escape(text).translate(TEMPLATE_LITERAL_HTML))
