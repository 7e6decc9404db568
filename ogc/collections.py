"""The feature collections: which rows each serves (public ones only), how it filters by box and
time, its extent, and how PostgreSQL writes a page of its Features as one text.

Initiatives come from the read model (registry.documents.features: the prepared open-data
Features, their point transformed by PostGIS); partners, municipalities and provinces, which have
no prepared documents, are written by one statement each here. Either way no Python runs per
record.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Polygon
from django.db.models import Min, Q, QuerySet
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from geo.crs import CRS, STORAGE_SRID, geojson_sql
from geo.models import Municipality, Province
from ogc.errors import OgcError
from ogc.filtering import Queryable
from ogc.params import Interval
from registry import documents
from registry.filters import InitiativeFilterSet
from registry.models import (
    FundingSource,
    Initiative,
    Kind,
    LegalForm,
    Partner,
    PartnerKind,
    Partnership,
    PublicationState,
    Service,
    Status,
)
from registry.querysets import InitiativeQuerySet

# OGC API Features Part 1, the temporal reference system of an extent.
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def _table(model: Any) -> str:
    return str(model._meta.db_table)


def _json(expression: str) -> str:
    return f"coalesce(to_json({expression})::text, 'null')"


def _number(expression: str) -> str:
    return f"coalesce(({expression})::text, 'null')"


@dataclass(frozen=True)
class Property:
    """A property of the collection's Features, for the schema and the HTML table."""

    name: str
    type: str  # a JSON schema type
    title: Promise
    format: str | None = None
    items: str | None = None  # the type of an array's items


class Collection:
    id: ClassVar[str]
    title: ClassVar[Promise]
    description: ClassVar[Promise]
    geometry_type: ClassVar[str]  # as GeoJSON names it
    key: ClassVar[str] = "pk"  # the featureId, and the order of the items
    temporal: ClassVar[Promise | None] = None  # what `datetime` selects on, when the collection has time
    properties: ClassVar[tuple[Property, ...]]
    # Query parameters besides OGC's own that the items take (the register's shared filters).
    filter_parameters: ClassVar[tuple[str, ...]] = ()
    # What a CQL2 filter may name (ogc.filtering), by name.
    queryables: ClassVar[dict[str, Queryable]]
    # The properties an HTML page of items shows beside the id and the geometry.
    columns: ClassVar[tuple[str, ...]]
    # Whether every change to what its items show moves the register's version (registry.history.
    # last_change): then a page's ETag follows from that version and the address, rather than from
    # hashing the page.
    follows_the_register: ClassVar[bool] = False

    def column_properties(self) -> list[Property]:
        by_name = {prop.name: prop for prop in self.properties}
        return [by_name[name] for name in self.columns]

    def queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def key_value(self, text: str) -> Any:
        """The featureId (or a cursor) as the key's value; ValueError when it cannot be one."""
        if self.key == "pk":
            if not text.isdigit() or len(text) > 18:
                raise ValueError(text)
            return int(text)
        return text

    def in_box(self, queryset: QuerySet[Any], box: Polygon) -> QuerySet[Any]:
        raise NotImplementedError

    def in_interval(self, queryset: QuerySet[Any], interval: Interval) -> QuerySet[Any]:
        raise OgcError(_("The collection %(id)s has no time: leave out datetime.") % {"id": self.id},
                       parameter="datetime")

    def filtered(self, queryset: QuerySet[Any], parameters: Mapping[str, list[str]]) -> QuerySet[Any]:
        return queryset

    def features(self, queryset: QuerySet[Any], crs: CRS) -> bytes:
        """The Features of the rows the queryset selects, in its order, joined by commas, as UTF-8 (as
        PostgreSQL made them: a page goes out without being decoded and encoded again)."""
        raise NotImplementedError

    def item(self, queryset: QuerySet[Any], crs: CRS) -> tuple[str, datetime.datetime | None] | None:
        """The Feature of the one row the queryset selects (None when it selects none), with when it
        last changed where the collection knows that of it alone (its Last-Modified); None there: the
        register's version stands for it."""
        text = self.features(queryset, crs).decode()
        return (text, None) if text else None

    def extent(self) -> dict[str, Any]:
        raise NotImplementedError


def _assemble(queryset: QuerySet[Any], feature: str, joins: str, params: list[Any]) -> bytes:
    """The Features (SQL expression `feature` over the row `x` and `joins`) of the rows the queryset
    selects, in its order, joined by commas, as UTF-8 made by PostgreSQL."""
    return documents.joined_in_order(
        queryset, feature, f"JOIN {_table(queryset.model)} x ON x.id = t.id {joins}", params)


def _codes(model: Any) -> Any:
    return lambda: list(model.objects.order_by("order", "code").values_list("code", flat=True))


def _box_of(aggregate: tuple[float, float, float, float] | None) -> list[list[float]]:
    if aggregate is None:
        return []
    return [[round(value, 6) for value in aggregate]]


class Initiatives(Collection):
    id = "initiatives"
    title = _("Residents' initiatives")
    description = _(
        "The published residents' initiatives and resident enterprises, as points, with the columns of the "
        "open data (initiatives.geojson): no e-mail addresses, phone numbers or names of people. datetime "
        "selects by the initiative's lifetime: from 1 January of its founding year (open when unknown) to the "
        "day it stopped (open while it runs).")
    geometry_type = "Point"
    follows_the_register = True  # its Features are the prepared documents (registry.documents)
    columns = ("name", "kind", "place", "status")
    temporal = _("lifetime: founded_year (from 1 January) to stopped_on")
    filter_parameters = tuple(name for name in InitiativeFilterSet.base_filters if name not in ("bbox", "ordering"))
    properties = (
        Property("id", "integer", _("id")),
        Property("slug", "string", _("slug")),
        Property("name", "string", _("name")),
        Property("kind", "string", _("kind (code)")),
        Property("services", "array", _("services (codes)"), items="string"),
        Property("short_description", "string", _("short description")),
        Property("description", "string", _("description")),
        Property("legal_form", "string", _("legal form")),
        Property("kvk_number", "string", _("KvK number")),
        Property("founded_year", "integer", _("founded (year)")),
        Property("status", "string", _("status")),
        Property("stopped_on", "string", _("stopped on"), format="date"),
        Property("stop_reason", "string", _("stop reason")),
        Property("street", "string", _("street")),
        Property("house_number", "string", _("house number")),
        Property("postcode", "string", _("postcode")),
        Property("place", "string", _("place")),
        Property("municipality_code", "string", _("municipality (CBS code)")),
        Property("municipality_name", "string", _("municipality")),
        Property("province_code", "string", _("province (CBS code)")),
        Property("province_name", "string", _("province")),
        Property("location_precision", "string", _("location precision")),
        Property("website", "string", _("website"), format="uri"),
        Property("funding_sources", "array", _("funding sources (codes)"), items="string"),
        Property("volunteers", "integer", _("volunteers")),
        Property("paid_staff", "integer", _("paid staff")),
        Property("reach_per_week", "integer", _("reach per week")),
        Property("last_verified_on", "string", _("last verified on"), format="date"),
        Property("verification_method", "string", _("verification method")),
        Property("updated_at", "string", _("updated at"), format="date-time"),
    )

    queryables = {queryable.name: queryable for queryable in (
        Queryable("name", "string", "name", _("name")),
        Queryable("kind", "string", "kind__code", _("kind (code)"), codes=_codes(Kind)),
        Queryable("service", "string", "services__code", _("service (code)"), many=True, codes=_codes(Service),
                  description=_("One of the initiative's services: service = 'winkel' selects those that offer it.")),
        Queryable("funding_source", "string", "funding_sources__code", _("funding source (code)"), many=True,
                  codes=_codes(FundingSource),
                  description=_("One of the initiative's funding sources, as service.")),
        Queryable("status", "string", "status", _("status"), codes=lambda: list(Status.values)),
        Queryable("legal_form", "string", "legal_form", _("legal form"), codes=lambda: ["", *LegalForm.values]),
        Queryable("founded_year", "integer", "founded_year", _("founded (year)")),
        Queryable("stopped_on", "date", "stopped_on", _("stopped on")),
        Queryable("last_verified_on", "date", "last_verified_on", _("last verified on")),
        Queryable("updated_at", "timestamp", "updated_at", _("updated at")),
        Queryable("place", "string", "place", _("place")),
        Queryable("postcode", "string", "postcode", _("postcode")),
        Queryable("municipality_code", "string", "municipality__code", _("municipality (CBS code)")),
        Queryable("province_code", "string", "province__code", _("province (CBS code)")),
        Queryable("geometry", "geometry", "location", _("location"), geometry="point"),
    )}

    def queryset(self) -> QuerySet[Initiative]:
        return Initiative.objects.published()

    def in_box(self, queryset: QuerySet[Any], box: Polygon) -> QuerySet[Any]:
        if box.srid == STORAGE_SRID and isinstance(queryset, InitiativeQuerySet):
            return queryset.in_bbox(*box.extent)  # a rectangle in longitude and latitude: as the REST API's
        # GeoDjango transforms a box in another CRS to the stored one (ST_Transform of a constant).
        return queryset.filter(location__intersects=box)

    def in_interval(self, queryset: QuerySet[Any], interval: Interval) -> QuerySet[Any]:
        # The lifetime [1 January of founded_year, stopped_on] meets the interval; unknown ends are open.
        if interval.end is not None:
            queryset = queryset.filter(Q(founded_year__isnull=True) | Q(founded_year__lte=interval.end.year))
        if interval.start is not None:
            start = interval.start.astimezone(datetime.UTC).date()
            queryset = queryset.filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=start))
        return queryset

    def filtered(self, queryset: QuerySet[Any], parameters: Mapping[str, list[str]]) -> QuerySet[Any]:
        """The register's shared filters (registry.filters), as everywhere else initiatives are listed."""
        data = QueryDict(mutable=True)
        for name, values in parameters.items():
            data.setlist(name, values)
        filters = InitiativeFilterSet(data, queryset=queryset)
        if not filters.is_valid():
            name, messages = next(iter(filters.errors.items()))
            raise OgcError(f"{name}: {' '.join(messages)}", parameter=name)
        return filters.qs

    def features(self, queryset: QuerySet[Any], crs: CRS) -> bytes:
        return documents.features(queryset, crs)

    def item(self, queryset: QuerySet[Any], crs: CRS) -> tuple[str, datetime.datetime | None] | None:
        return documents.feature(queryset, crs)

    def extent(self) -> dict[str, Any]:
        found = self.queryset().aggregate(box=Extent("location"), founded=Min("founded_year"))
        start = f"{found['founded']:04d}-01-01T00:00:00Z" if found["founded"] else None
        return {"spatial": {"bbox": _box_of(found["box"]), "crs": CRS_84},
                "temporal": {"interval": [[start, None]], "trs": GREGORIAN}}


CRS_84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _published_count(column: str, row: str) -> str:
    return (f"(SELECT count(*) FROM {_table(Initiative)} i WHERE i.{column} = {row}"
            f" AND i.publication_state = %s)")


class Partners(Collection):
    id = "partners"
    title = _("Partners")
    description = _(
        "Organisations that fund, commission, house or support initiatives. A partner that is a municipality "
        "has that municipality's boundary as its geometry; the others have none (null).")
    geometry_type = "MultiPolygon"
    columns = ("name", "kind", "initiatives")
    properties = (
        Property("id", "integer", _("id")),
        Property("slug", "string", _("slug")),
        Property("name", "string", _("name")),
        Property("kind", "string", _("kind (code)")),
        Property("kvk_number", "string", _("KvK number")),
        Property("oin", "string", _("OIN")),
        Property("website", "string", _("website"), format="uri"),
        Property("municipality_code", "string", _("municipality (CBS code)")),
        Property("initiatives", "integer", _("published initiatives")),
    )

    queryables = {queryable.name: queryable for queryable in (
        Queryable("name", "string", "name", _("name")),
        Queryable("kind", "string", "kind__code", _("kind (code)"), codes=_codes(PartnerKind)),
        Queryable("municipality_code", "string", "municipality__code", _("municipality (CBS code)")),
        Queryable("geometry", "geometry", "municipality__geometry", _("boundary"), geometry="multipolygon"),
    )}

    def queryset(self) -> QuerySet[Partner]:
        return Partner.objects.all()

    def in_box(self, queryset: QuerySet[Any], box: Polygon) -> QuerySet[Any]:
        return queryset.filter(municipality__geometry__intersects=box)

    def features(self, queryset: QuerySet[Any], crs: CRS) -> bytes:
        kinds = _table(Partner._meta.get_field("kind").related_model)
        initiatives = (f"(SELECT count(DISTINCT p.initiative_id) FROM {_table(Partnership)} p"
                       f" JOIN {_table(Initiative)} i ON i.id = p.initiative_id"
                       f" WHERE p.partner_id = x.id AND i.publication_state = %s)")
        feature = (
            """'{"type":"Feature","id":' || x.id || ',"geometry":' || """
            f"""coalesce({geojson_sql('m.geometry', crs)}, 'null')"""
            """ || ',"properties":{"id":' || x.id || ',"slug":' || to_json(x.slug) || ',"name":' || to_json(x.name)"""
            """ || ',"kind":' || to_json(k.code) || ',"kvk_number":' || to_json(x.kvk_number)"""
            """ || ',"oin":' || to_json(x.oin) || ',"website":' || to_json(x.website)"""
            f""" || ',"municipality_code":' || {_json('m.code')} || ',"initiatives":' || {initiatives} || '}}}}'""")
        joins = (f"JOIN {kinds} k ON k.id = x.kind_id"
                 f" LEFT JOIN {_table(Municipality)} m ON m.id = x.municipality_id")
        return _assemble(queryset, feature, joins, [PublicationState.PUBLISHED])

    def extent(self) -> dict[str, Any]:
        found = Municipality.objects.filter(partners__isnull=False).aggregate(box=Extent("geometry"))
        return {"spatial": {"bbox": _box_of(found["box"]), "crs": CRS_84}}


class Municipalities(Collection):
    id = "municipalities"
    title = _("Municipalities")
    description = _("The current municipalities (CBS codes such as GM0546), with their boundaries and the number "
                    "of published initiatives in each. datetime selects by the period a municipality exists.")
    geometry_type = "MultiPolygon"
    key = "code"
    columns = ("name", "province_name", "initiatives")
    temporal = _("valid_from to valid_to")
    properties = (
        Property("code", "string", _("CBS code")),
        Property("name", "string", _("name")),
        Property("province_code", "string", _("province (CBS code)")),
        Property("province_name", "string", _("province")),
        Property("valid_from", "string", _("valid from"), format="date"),
        Property("initiatives", "integer", _("published initiatives")),
    )

    queryables = {queryable.name: queryable for queryable in (
        Queryable("code", "string", "code", _("CBS code")),
        Queryable("name", "string", "name", _("name")),
        Queryable("province_code", "string", "province__code", _("province (CBS code)")),
        Queryable("geometry", "geometry", "geometry", _("boundary"), geometry="multipolygon"),
    )}

    def queryset(self) -> QuerySet[Municipality]:
        return Municipality.objects.current()

    def key_value(self, text: str) -> Any:
        if len(text) > 6:
            raise ValueError(text)
        return text.upper()

    def in_box(self, queryset: QuerySet[Any], box: Polygon) -> QuerySet[Any]:
        return queryset.filter(geometry__intersects=box)

    def in_interval(self, queryset: QuerySet[Any], interval: Interval) -> QuerySet[Any]:
        if interval.end is not None:
            queryset = queryset.filter(valid_from__lte=interval.end.astimezone(datetime.UTC).date())
        if interval.start is not None:
            start = interval.start.astimezone(datetime.UTC).date()
            queryset = queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        return queryset

    def features(self, queryset: QuerySet[Any], crs: CRS) -> bytes:
        feature = (
            """'{"type":"Feature","id":' || to_json(x.code) || ',"geometry":' || """ + geojson_sql("x.geometry", crs)
            + """ || ',"properties":{"code":' || to_json(x.code) || ',"name":' || to_json(x.name)"""
            """ || ',"province_code":' || to_json(p.code) || ',"province_name":' || to_json(p.name)"""
            """ || ',"valid_from":' || to_json(x.valid_from)"""
            f""" || ',"initiatives":' || {_published_count('municipality_id', 'x.id')} || '}}}}'""")
        return _assemble(queryset, feature, f"JOIN {_table(Province)} p ON p.id = x.province_id",
                         [PublicationState.PUBLISHED])

    def extent(self) -> dict[str, Any]:
        found = self.queryset().aggregate(box=Extent("geometry"), start=Min("valid_from"))
        start = f"{found['start'].isoformat()}T00:00:00Z" if found["start"] else None
        return {"spatial": {"bbox": _box_of(found["box"]), "crs": CRS_84},
                "temporal": {"interval": [[start, None]], "trs": GREGORIAN}}


class Provinces(Collection):
    id = "provinces"
    title = _("Provinces")
    description = _("The twelve provinces (CBS codes PV20–PV31), with their boundaries and the number of "
                    "published initiatives in each.")
    geometry_type = "MultiPolygon"
    key = "code"
    columns = ("name", "initiatives")
    properties = (
        Property("code", "string", _("CBS code")),
        Property("name", "string", _("name")),
        Property("initiatives", "integer", _("published initiatives")),
    )

    queryables = {queryable.name: queryable for queryable in (
        Queryable("code", "string", "code", _("CBS code")),
        Queryable("name", "string", "name", _("name")),
        Queryable("geometry", "geometry", "geometry", _("boundary"), geometry="multipolygon"),
    )}

    def queryset(self) -> QuerySet[Province]:
        return Province.objects.all()

    def key_value(self, text: str) -> Any:
        if len(text) > 4:
            raise ValueError(text)
        return text.upper()

    def in_box(self, queryset: QuerySet[Any], box: Polygon) -> QuerySet[Any]:
        return queryset.filter(geometry__intersects=box)

    def features(self, queryset: QuerySet[Any], crs: CRS) -> bytes:
        feature = (
            """'{"type":"Feature","id":' || to_json(x.code) || ',"geometry":' || """ + geojson_sql("x.geometry", crs)
            + """ || ',"properties":{"code":' || to_json(x.code) || ',"name":' || to_json(x.name)"""
            f""" || ',"initiatives":' || {_published_count('province_id', 'x.id')} || '}}}}'""")
        return _assemble(queryset, feature, "", [PublicationState.PUBLISHED])

    def extent(self) -> dict[str, Any]:
        found = self.queryset().aggregate(box=Extent("geometry"))
        return {"spatial": {"bbox": _box_of(found["box"]), "crs": CRS_84}}


COLLECTIONS: dict[str, Collection] = {collection.id: collection for collection in (
    Initiatives(), Partners(), Municipalities(), Provinces())}
