"""Queries on initiatives: published, in an area or box, near a point, stale, visible to a user,
with what their public documents show; set-based area assignment."""

from __future__ import annotations

import calendar
import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Prefetch, Q
from django.utils import timezone

from geo.expressions import WithinMetres, as_geography
from registry.models.choices import PublicationState, Status

if TYPE_CHECKING:
    from registry.models import Initiative  # noqa: F401  (named in the annotations)
    from registry.roles import Access


class InitiativeQuerySet(models.QuerySet["Initiative"]):
    def published(self) -> InitiativeQuerySet:
        return self.filter(publication_state=PublicationState.PUBLISHED)

    def visible_to(self, access: Access) -> InitiativeQuerySet:
        """The published initiatives, and for a maintainer also every record of their region."""
        if not access.is_maintainer:
            return self.published()
        return self.filter(Q(publication_state=PublicationState.PUBLISHED) | access.region())

    def with_related(self) -> InitiativeQuerySet:
        """With everything an initiative's public document shows, in a fixed number of queries."""
        from registry.models import Partnership  # not at the top: registry.models imports this module

        return self.select_related("kind", "municipality", "province").defer(
            "municipality__geometry", "province__geometry", "search_vector").prefetch_related(
            "services", "funding_sources",
            Prefetch("partnerships", queryset=Partnership.objects.select_related("partner__kind", "role")
                     .order_by("partner__name", "role__order", "start")))

    def in_area(self, code: str) -> InitiativeQuerySet:
        """In a province (PV..) or municipality (GM..), by CBS code."""
        if code.upper().startswith("PV"):
            return self.filter(province__code=code.upper())
        return self.filter(municipality__code=code.upper())

    def in_bbox(self, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> InitiativeQuerySet:
        from django.contrib.gis.geos import Polygon

        # intersects, not within: a point on the edge of the box belongs to it.
        return self.filter(location__intersects=Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat)))

    def near(self, point: Point, metres: float) -> InitiativeQuerySet:
        """Within `metres` of the point, measured on the spheroid (uses the geography index)."""
        return self.filter(WithinMetres(as_geography(models.F("location")), as_geography(point), metres))

    def stale(self, today: datetime.date | None = None) -> InitiativeQuerySet:
        """Running initiatives (not stopped) not verified within STALE_AFTER_MONTHS, or never."""
        cutoff = stale_cutoff(today)
        return self.exclude(status=Status.STOPPED).filter(
            Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=cutoff))

    def fresh(self, today: datetime.date | None = None) -> InitiativeQuerySet:
        """The opposite of stale(): stopped, or verified within STALE_AFTER_MONTHS."""
        return self.filter(Q(status=Status.STOPPED) | Q(last_verified_on__gte=stale_cutoff(today)))

    def counts_by(self, *fields: str) -> list[dict[str, Any]]:
        """How many initiatives per value of `fields` (each row: the fields and `count`)."""
        return list(self.order_by().values(*fields).annotate(count=models.Count("pk", distinct=True))
                    .order_by(*fields))

    def as_map_features(self) -> str:
        """These initiatives as one compact GeoJSON FeatureCollection, built by PostgreSQL.

        Only what a map marker and its popup show (slug, name, kind and service codes, place),
        coordinates to 5 decimals (about 1 m): small enough for 100,000 points in one answer.
        """
        rows = self.order_by().values(
            map_id=models.F("pk"), map_slug=models.F("slug"), map_name=models.F("name"),
            map_kind=models.F("kind__code"), map_place=models.F("place"), map_location=models.F("location"))
        try:
            inner, params = rows.query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing, such as `pk__in=[]`
            return '{"type":"FeatureCollection","features":[]}'
        from registry.models import Service  # not at the top: registry.models imports this module

        links = self.model.services.through._meta.db_table
        service = Service._meta.db_table
        # The service codes are aggregated once for the matching records, not by a subquery per
        # record (twice as fast for the whole country); codes are slugs, so they need no escaping.
        # Concatenated rather than json_build_object, whose output pads every colon and comma.
        sql = f"""
            WITH t AS MATERIALIZED ({inner}),
            sv AS (SELECT l.initiative_id, '["' || string_agg(s.code, '","' ORDER BY s."order") || '"]' AS codes
                     FROM {links} l JOIN {service} s ON s.id = l.service_id
                    WHERE l.initiative_id IN (SELECT map_id FROM t) GROUP BY l.initiative_id)
            SELECT '{{"type":"FeatureCollection","features":[' || coalesce(string_agg(
                '{{"type":"Feature","id":' || t.map_id || ',"geometry":' || ST_AsGeoJSON(t.map_location, 5)
                || ',"properties":{{"slug":' || to_json(t.map_slug) || ',"name":' || to_json(t.map_name)
                || ',"kind":' || to_json(t.map_kind) || ',"services":' || coalesce(sv.codes, '[]')
                || ',"place":' || coalesce(to_json(t.map_place), 'null') || '}}}}', ',' ORDER BY t.map_id), '')
                || ']}}'
            FROM t LEFT JOIN sv ON sv.initiative_id = t.map_id"""
        # The queryset's own database: a replica when the router sends this request's reads there.
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def assign_areas(self, *, record_history: bool = True) -> int:
        """Place every initiative in this queryset in its municipality and province, set-based
        (registry.saving.derive_areas), and apply the effects of saving to the records whose areas
        changed (a history entry, waiting suggestions that follow them into their new region).
        Returns the number of records that changed. record_history=False is for a caller that
        writes the records' history itself (bulk creation of demo data)."""
        from registry import saving  # not at the top: registry.models imports this module
        from registry.history import Reasons

        changed = saving.derive_areas(self)
        if record_history:
            reason = Reasons.AREAS_DERIVED.text()
            saving.after_saving([saving.Saved(pk, reason, renamed_or_moved=False) for pk in changed],
                                acting_user=None)
        return len(changed)


def stale_cutoff(today: datetime.date | None = None) -> datetime.date:
    """The earliest verification date that still counts as fresh."""
    today = today or timezone.localdate()
    months = today.year * 12 + today.month - 1 - settings.STALE_AFTER_MONTHS
    year, month = divmod(months, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return datetime.date(year, month + 1, day)
