"""The query parameters of OGC API Features, checked before anything reaches the database: the
encoding (`f` or the Accept header), `limit`, `bbox` with `bbox-crs`, `crs`, `datetime`. A bad
value is an OgcError (400) that names the parameter and says what is wrong with it."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.contrib.gis.geos import Polygon
from django.http import HttpRequest
from django.utils.translation import gettext as _

from geo.crs import CRS as Crs
from geo.crs import CRS84, SUPPORTED, BoxError, box_polygon
from ogc.errors import NotAcceptable, OgcError

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Encoding:
    name: str  # the value of `f`
    media_type: str
    also: tuple[str, ...] = ()  # other media types an Accept header may name for it


JSON_ENCODING = Encoding("json", JSON)
GEOJSON_ENCODING = Encoding("json", GEOJSON, also=(JSON,))
HTML_ENCODING = Encoding("html", HTML, also=("application/xhtml+xml",))
OPENAPI_ENCODING = Encoding("json", OPENAPI, also=("application/vnd.oai.openapi+json", JSON))
SCHEMA_ENCODING = Encoding("json", SCHEMA, also=(JSON,))


def _accepted(header: str) -> list[tuple[str, float]]:
    ranges = []
    for item in header.split(","):
        fields = [field.strip() for field in item.split(";")]
        if not fields[0]:
            continue
        quality = 1.0
        for field in fields[1:]:
            if field.lower().startswith("q="):
                try:
                    quality = float(field[2:])
                except ValueError:
                    quality = 0.0
        ranges.append((fields[0].lower(), quality))
    return ranges


def negotiate(request: HttpRequest, offered: list[Encoding]) -> Encoding:
    """The encoding asked for by `f` (which wins), else the Accept header's best match, else the
    first offered (JSON). Part 1 leaves the choice to HTTP content negotiation; `f` gives browsers
    and links a way to ask."""
    wanted = request.GET.get("f")
    if wanted is not None:
        for encoding in offered:
            if encoding.name == wanted:
                return encoding
        raise OgcError(_("Unknown encoding %(f)s; this resource has %(names)s.") % {
            "f": wanted, "names": ", ".join(encoding.name for encoding in offered)}, parameter="f")
    header = request.headers.get("Accept", "")
    if not header.strip():
        return offered[0]
    best: tuple[float, int, Encoding] | None = None
    for position, encoding in enumerate(offered):
        quality = 0.0
        for media_range, q in _accepted(header):
            names = (encoding.media_type.split(";")[0], *encoding.also)
            top = encoding.media_type.split("/")[0] + "/*"
            exact = media_range.split(";")[0] in names
            # A client that names JSON or HTML itself prefers it to what a wildcard gives.
            if exact or media_range == top or media_range == "*/*":
                quality = max(quality, q if exact else q - 0.001)
        if quality > 0 and (best is None or (quality, -position) > (best[0], -best[1])):
            best = (quality, position, encoding)
    if best is None:
        raise NotAcceptable(_("None of the media types in Accept is offered here: %(types)s.") % {
            "types": ", ".join(encoding.media_type for encoding in offered)})
    return best[2]


def limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise OgcError(_("limit must be a whole number from 1 to %(max)d.") % {"max": MAX_LIMIT},
                       parameter="limit")
    return int(raw)


def crs(request: HttpRequest, name: str = "crs") -> Crs:
    raw = request.GET.get(name)
    if raw is None:
        return CRS84
    found = SUPPORTED.get(raw.strip().strip("[]<>"))
    if found is None:
        raise OgcError(_("%(name)s %(crs)s is not supported; use one of %(supported)s.") % {
            "name": name, "crs": raw, "supported": ", ".join(SUPPORTED)}, parameter=name)
    return found


def bbox(request: HttpRequest) -> Polygon | None:
    """The box in `bbox` (in `bbox-crs`, default CRS84) as a polygon in that CRS; None without one
    (an empty bbox too: what an HTML form sends for a field left empty)."""
    raw = request.GET.get("bbox") or None
    box_crs = crs(request, "bbox-crs")
    if raw is None:
        if "bbox-crs" in request.GET:
            raise OgcError(_("bbox-crs needs a bbox."), parameter="bbox-crs")
        return None
    try:
        numbers = [float(part) for part in raw.split(",")]
        return box_polygon(numbers, box_crs)
    except (ValueError, BoxError) as problem:
        reason = str(problem) if isinstance(problem, BoxError) else _("not a list of numbers")
        order = _("latitude, longitude") if box_crs.latitude_first else _("x, y (longitude, latitude)")
        raise OgcError(_("bbox must be the lower corner, then the upper corner (%(order)s in %(crs)s): "
                         "%(reason)s.") % {"order": order, "crs": box_crs.uri, "reason": reason},
                       parameter="bbox") from None


# RFC 3339 as Part 1 takes it, and a plain date.
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?$")


@dataclass(frozen=True)
class Interval:
    """A closed interval of moments; None is open (`..` or empty)."""

    start: datetime.datetime | None
    end: datetime.datetime | None


def _moment(text: str, *, end: bool) -> datetime.datetime | None:
    if text in ("", ".."):
        return None
    if not _MOMENT.match(text):
        raise ValueError(text)
    if len(text) == 10:  # a day: from its start, or to its end
        day = datetime.date.fromisoformat(text)
        moment = datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)
        return moment.replace(tzinfo=datetime.UTC)
    return datetime.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))


def interval(request: HttpRequest) -> Interval | None:
    raw = request.GET.get("datetime")
    if raw is None:
        return None
    problem = OgcError(_("datetime must be a moment (2024-05-01T12:00:00Z), a date (2024-05-01) or an "
                         "interval of them with / (2020-01-01/.., ../2024-12-31)."), parameter="datetime")
    try:
        if "/" in raw:
            first, _slash, last = raw.partition("/")
            if "/" in last or (first in ("", "..") and last in ("", "..")):
                raise problem
            found = Interval(_moment(first, end=False), _moment(last, end=True))
        else:
            found = Interval(_moment(raw, end=False), _moment(raw, end=True))
    except ValueError:
        raise problem from None
    if found.start is not None and found.end is not None and found.start > found.end:
        raise OgcError(_("datetime: the interval ends before it starts."), parameter="datetime")
    return found
