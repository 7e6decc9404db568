"""The site's maps: the map of initiatives, a folium map (geo.maps) whose page script (static
registry/map.js) loads the view's tiles of clusters (registry/site/mapdata.py); and one
initiative's location."""

from __future__ import annotations

import folium
from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.csp import trust_blocks
from geo.maps import NETHERLANDS_BOUNDS, RenderedMap, ScriptCall, SiteMap, folium_text, render_parts, tooltip_text
from geo.tiles import ICON_MARGIN
from registry.models import Initiative, Kind, Service, Status
from registry.site.filtering import MAP_DEFAULT_STATUS, PLACE_KINDS


def rendered(folium_map: folium.Map) -> RenderedMap:
    """The map's parts for a page, whose Content-Security-Policy then allows the map's own script
    and folium's style blocks (the page places them inline)."""
    parts = render_parts(folium_map)
    trust_blocks(parts.inline_blocks)
    return parts


def initiatives_map(*, locked_query: str = "", embedded: bool = False, in_page: bool = False) -> RenderedMap:
    """`locked_query`: filters every data request carries whatever the visitor does (embeds, an
    area's page). `in_page`: a map that is part of another page (an area's), which leaves the
    page's address alone."""
    folium_map = SiteMap(label=_("Map of initiatives"), name="initiatives")
    # Filled by map.js with the clusters of the view's tiles: only what is in view is ever on the map.
    markers = folium.FeatureGroup(name="initiatives", control=False).add_to(folium_map)
    options = {
        "tileUrl": reverse("registry:map-tile", args=[0, 0, 0]).replace("/0/0/0.", "/{z}/{x}/{y}."),
        "overviewUrl": reverse("registry:map-overview"),
        "defaultStatus": MAP_DEFAULT_STATUS,
        "locationsUrl": reverse("api:locations"),
        "detailUrl": reverse("registry:initiative", args=["slug"]).removesuffix("slug"),
        "listUrl": reverse("registry:initiatives"),
        "lockedQuery": locked_query,
        "bounds": NETHERLANDS_BOUNDS,
        "edgePadding": ICON_MARGIN,
        "embedded": embedded,
        "writesAddress": not embedded and not in_page,
        "kinds": {kind.code: kind.label for kind in Kind.objects.all()},
        "services": {service.code: service.label for service in Service.objects.all()},
        # As the list and the suggestions name a place's kind (site.filtering.place_detail).
        "placeKinds": {kind: str(label) for kind, label in PLACE_KINDS.items()},
        "text": {
            "countOne": ngettext("%(count)s initiative", "%(count)s initiatives", 1),
            "countOther": ngettext("%(count)s initiative", "%(count)s initiatives", 2),
            "loading": _("Loading initiatives…"),
            "failed": _("The initiatives could not be loaded: %(reason)s"),
            "details": _("More about %(name)s"),
            "services": _("Services"),
            # As the list and the initiative's page say it.
            "notVerifiedSince": _("Not verified since %(date)s"),
            "neverVerified": _("Never verified"),
            "youAreHere": _("You are here"),
            "locating": _("Finding your location…"),
            "noGeolocation": _("Your browser cannot tell your location."),
            "geolocationFailed": _("Your location is not available: %(reason)s"),
            "locationRefused": _("you did not allow this site to know it"),
            "locationUnknown": _("your device could not determine it"),
            "locationTimedOut": _("finding it took too long"),
            "unreachable": _("the register cannot be reached; check your connection and try again"),
            "answeredWithError": _("the register answered with an error (%(status)s); try again in a moment"),
            "searching": _("Searching…"),
            "tooShort": _("Type at least two letters or a postcode."),
            "searchFailed": _("The search failed: %(reason)s"),
            "noLocations": _("No place, municipality or postcode found for “%(query)s”."),
            "locationsFound": _("Choose a result:"),
            "closePopup": _("Close"),
            "status": {status.value: str(capfirst(status.label)) for status in Status},
            "including": _("including %(list)s"),
            "inView": _("In view: %(count)s"),
            "firstOnly": _("The first %(shown)s by name. Zoom in to see the others."),
            "filtersReset": _("The filters are reset."),
        },
    }
    ScriptCall("registryMap.start", options, layers={"markers": markers},
               scripts=(static("registry/map.js"),)).add_to(folium_map)
    return rendered(folium_map)


def initiative_location_map(initiative: Initiative) -> RenderedMap:
    """A small map of one initiative's location (its single point is part of the page)."""
    assert initiative.location is not None, "a stored record has its point (the column is NOT NULL)"
    point = (initiative.location.y, initiative.location.x)
    folium_map = SiteMap(label=_("Map: location of %(name)s") % {"name": initiative.name}, name="location",
                         location=point, zoom_start=15 if not initiative.is_location_approximate else 13)
    # Nothing happens on a click, so the pin is not a button for the keyboard either.
    folium.Marker(point, tooltip=tooltip_text(initiative.name), alt=folium_text(initiative.name),
                  keyboard=False).add_to(folium_map)
    return rendered(folium_map)
