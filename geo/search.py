"""Find a place, municipality, province or postcode by what someone types, from the shipped tables only
(no external geocoder): the map's search box and its API endpoint use this."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.db.models.functions import Centroid, Envelope, PointOnSurface
from django.db.models import Case, IntegerField, Q, Value, When

from geo.models import Municipality, Place, Postcode, Province
from geo.postcodes import InvalidPostcode, normalise_postcode

# Everyday names that the official names (CBS: 's-Gravenhage; GeoNames: The Hague) do not start with.
# The register's search (registry.search) gives them to the records in these places too.
ALIASES = {"den haag": "'s-Gravenhage", "the hague": "'s-Gravenhage", "den bosch": "'s-Hertogenbosch",
           "friesland": "Fryslân"}

# How close the map zooms in on each kind of result.
ZOOM = {"postcode": 14, "place": 13, "municipality": 11, "province": 9}


@dataclass(frozen=True)
class Location:
    type: str  # postcode, place, municipality or province
    name: str
    # The place of a postcode, the municipality of a place, the province of a municipality; "" for a province.
    context: str
    lon: float
    lat: float
    zoom: int
    municipality: str = ""  # a municipality's CBS code ("" for anything else)
    province: str = ""  # a province's CBS code ("" for anything else)


def find_locations(text: str, limit: int = 8) -> list[Location]:
    """Postcodes (`2312`, `2312 AB`) by their four digits; otherwise municipalities, provinces and places
    whose name starts with the text (exact names first, then larger places first)."""
    text = " ".join(text.split())
    postcode_area = _postcode_area(text)
    if postcode_area is not None:
        return postcode_area
    return _named(text, "istartswith", limit)


def places_named(text: str, limit: int = 3) -> list[Location]:
    """The postcode area a postcode names, or the municipalities, provinces and places whose whole name
    is the text (in any case, or as an everyday name: "den haag"): the place a search for these words may
    have meant. Longer names that merely start with the text are not among them."""
    text = " ".join(text.split())
    postcode_area = _postcode_area(text)
    if postcode_area is not None:
        return postcode_area[:limit]
    return _named(text, "iexact", limit)


def _postcode_area(text: str) -> list[Location] | None:
    """The area of a postcode's four digits (none when there is no such area); None for a text that
    is no postcode."""
    try:
        pc4 = normalise_postcode(text, allow_pc4=True)[:4]
    except InvalidPostcode:
        return None
    return [Location("postcode", p.pc4, p.place, round(p.location.x, 5), round(p.location.y, 5), ZOOM["postcode"])
            for p in Postcode.objects.filter(pc4=pc4)]


def _named(text: str, lookup: str, limit: int) -> list[Location]:
    """Municipalities, then provinces, then places, whose name matches the text by `lookup` (exact names
    first, then larger places first): someone who types "Utrecht" more often means the city."""
    names = [text, ALIASES[text.lower()]] if text.lower() in ALIASES else [text]
    if " " in text:  # the search box's words lose their hyphens: "zuid hol" is Zuid-Holland's beginning
        names.insert(0, text.replace(" ", "-"))
    matching = Q()
    for name in names:  # "Gravenhage" and "Hertogenbosch" find the names with 's- as well
        matching |= Q(**{f"name__{lookup}": name}) | Q(**{f"name__{lookup}": f"'s-{name}"})
    exact_first = Case(When(name__iexact=names[-1], then=Value(0)), default=Value(1), output_field=IntegerField())
    municipalities = (Municipality.objects.current().filter(matching).select_related("province")
                      .annotate(point=PointOnSurface("geometry"), exact=exact_first)
                      .defer("geometry").order_by("exact", "name")[:limit])
    # The middle of a province's box: a point on its detailed boundary (PointOnSurface) took longer
    # (5-8 ms) than the rest of the search, for a map that only moves there; the box costs about 1 ms.
    provinces = (Province.objects.filter(matching).annotate(point=Centroid(Envelope("geometry")), exact=exact_first)
                 .defer("geometry").order_by("exact", "name")[:limit])
    places = (Place.objects.filter(matching).select_related("municipality")
              .annotate(exact=exact_first).defer("municipality__geometry")
              .order_by("exact", "-population", "name")[:limit])
    found = [Location("municipality", m.name, m.province.name,
                      round(m.point.x, 5), round(m.point.y, 5),  # type: ignore[attr-defined]  # annotated above
                      ZOOM["municipality"], m.code) for m in municipalities]
    found += [Location("province", area.name, "", round(area.point.x, 5), round(area.point.y, 5),
                       ZOOM["province"], province=area.code) for area in provinces]
    found += [Location("place", p.name, p.municipality.name, round(p.location.x, 5), round(p.location.y, 5),
                       ZOOM["place"]) for p in places
              if not any(f.name == p.name and f.type == "municipality" for f in found)]
    return found[:limit]
