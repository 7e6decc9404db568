"""The coordinate reference systems the register publishes geometries in, as OGC API Features
Part 2 names them, and how PostGIS writes a geometry or reads a box in each.

Everything is stored in WGS 84 (SRID 4326, x = longitude). A geometry is transformed by PostGIS
when it is read (ST_Transform), written with the precision its CRS deserves (about a centimetre:
two decimals of a metre, seven of a degree) and in the CRS's own axis order: EPSG:4258 and
EPSG:4326 are latitude first, CRS84 is longitude first (OGC API Features Part 2, "the axis order
of the CRS").
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from django.contrib.gis.geos import Polygon
from django.utils.translation import gettext as _

OGC_CRS = "http://www.opengis.net/def/crs/OGC/1.3/"
EPSG_CRS = "http://www.opengis.net/def/crs/EPSG/0/"


@dataclass(frozen=True)
class CRS:
    uri: str
    srid: int  # PostGIS's spatial_ref_sys
    name: str
    decimals: int  # about a centimetre
    latitude_first: bool  # the CRS's axis order (PostGIS always has x = longitude)
    metres: bool

    @property
    def is_storage(self) -> bool:
        return self.srid == STORAGE_SRID and not self.latitude_first


STORAGE_SRID = 4326

CRS84 = CRS(OGC_CRS + "CRS84", 4326, "WGS 84 (longitude, latitude)", 7, latitude_first=False, metres=False)
RD_NEW = CRS(EPSG_CRS + "28992", 28992, "Amersfoort / RD New", 2, latitude_first=False, metres=True)
ETRS89 = CRS(EPSG_CRS + "4258", 4258, "ETRS89 (latitude, longitude)", 7, latitude_first=True, metres=False)
WGS84 = CRS(EPSG_CRS + "4326", 4326, "WGS 84 (latitude, longitude)", 7, latitude_first=True, metres=False)
WEB_MERCATOR = CRS(EPSG_CRS + "3857", 3857, "WGS 84 / Pseudo-Mercator", 2, latitude_first=False, metres=True)

SUPPORTED: dict[str, CRS] = {crs.uri: crs for crs in (CRS84, RD_NEW, ETRS89, WGS84, WEB_MERCATOR)}


def geojson_sql(column: str, crs: CRS) -> str:
    """SQL for a GeoJSON geometry object of `column` (a stored geometry in SRID 4326) in `crs`,
    without a "crs" member (Part 2: the Content-Crs header says which)."""
    expression = column if crs.srid == STORAGE_SRID else f"ST_Transform({column}, {crs.srid})"
    if crs.latitude_first:
        expression = f"ST_FlipCoordinates({expression})"
    return f"ST_AsGeoJSON({expression}, {crs.decimals}, 0)"


class BoxError(ValueError):
    """A box that is not one: the message says why (shown to the client)."""


def box_polygon(numbers: list[float], crs: CRS) -> Polygon:
    """A box of 4 numbers (or 6, with heights, which are ignored), lower corner first, in the axis
    order of `crs`, as a polygon in that CRS's SRID (x = easting or longitude), ready to be
    transformed to the stored SRID by the query that uses it."""
    if len(numbers) not in (4, 6) or not all(math.isfinite(number) for number in numbers):
        raise BoxError(_("four numbers (or six, with heights)"))
    half = len(numbers) // 2
    low, high = numbers[:2], numbers[half:half + 2]
    if crs.latitude_first:
        low, high = low[::-1], high[::-1]
    (min_x, min_y), (max_x, max_y) = low, high
    if not crs.metres:
        if not (-180 <= min_x <= 180 and -180 <= max_x <= 180):
            raise BoxError(_("longitude outside -180…180"))
        if not (-90 <= min_y <= 90 and -90 <= max_y <= 90):
            raise BoxError(_("latitude outside -90…90"))
    if min_y > max_y:
        raise BoxError(_("the lower corner lies above the upper one"))
    if min_x > max_x:
        # Across the antimeridian, which the Netherlands never is.
        raise BoxError(_("the lower corner lies east of the upper one"))
    if crs.srid == STORAGE_SRID:
        return _srid(Polygon.from_bbox((min_x, min_y, max_x, max_y)), crs.srid)
    # A straight edge in another CRS is a curve in longitude and latitude: follow it with points
    # along each edge, so that the box transformed to the stored SRID is the box that was asked for.
    corners = [(min_x, min_y), (max_x, min_y), (max_x, max_y), (min_x, max_y), (min_x, min_y)]
    ring: list[tuple[float, float]] = []
    for (x0, y0), (x1, y1) in itertools.pairwise(corners):
        ring.extend((x0 + (x1 - x0) * step / EDGE_POINTS, y0 + (y1 - y0) * step / EDGE_POINTS)
                    for step in range(EDGE_POINTS))
    ring.append(corners[0])
    return _srid(Polygon(ring), crs.srid)


EDGE_POINTS = 16


def _srid(polygon: Polygon, srid: int) -> Polygon:
    polygon.srid = srid
    return polygon
