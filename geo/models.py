"""The areas initiatives live in, and the offline tables that turn a postcode or a place into a point."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import AsGeoJSON, GeomOutputGeoFunc
from django.contrib.gis.geos import Point
from django.db.models import FloatField, Func, Q, Subquery, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Upper
from django.utils.translation import gettext_lazy as _

from geo.postcodes import InvalidPostcode, normalise_postcode

# Coastal and border points (a harbour, a dike, a point just across a river) may lie this far
# outside the generalised municipality boundaries and still belong to the nearest municipality.
BORDER_TOLERANCE_M = 1000
# A cheap bounding-box filter (in degrees) before measuring metres: 0.02° is at least 1.3 km here.
_BORDER_TOLERANCE_DEG = 0.02


class DistanceSphere(Func):
    """Metres between two lon/lat geometries (PostGIS ST_DistanceSphere); unlike GeoDjango's
    Distance it also takes a reference to an outer query's column."""

    function = "ST_DistanceSphere"
    output_field = FloatField()


def as_geometry_expression(point: Point | Combinable) -> Combinable:
    if isinstance(point, Point):
        return Value(point, output_field=models.PointField(srid=4326))
    return point


class Province(models.Model):
    code = models.CharField(_("code"), max_length=4, unique=True, help_text=_("CBS code, e.g. PV27"))
    name = models.CharField(_("name"), max_length=100)
    geometry = models.MultiPolygonField(_("boundary"), srid=4326)

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name


class SimplifyPreserveTopology(GeomOutputGeoFunc):
    """PostGIS ST_SimplifyPreserveTopology(geometry, tolerance): fewer points, no invalid shapes."""

    function = "ST_SimplifyPreserveTopology"

    def __init__(self, expression: Any, tolerance: float, **extra: Any) -> None:
        super().__init__(expression, Value(tolerance), **extra)


class MunicipalityQuerySet(models.QuerySet["Municipality"]):
    def current(self) -> MunicipalityQuerySet:
        return self.filter(valid_to__isnull=True)

    def with_outline(self, tolerance_degrees: float = 0.003, decimals: int = 3) -> MunicipalityQuerySet:
        """Annotate `outline`: the boundary simplified for a country-wide map, as GeoJSON text
        (0.003° and 3 decimals: about 100 m, a few hundred bytes a municipality)."""
        return self.annotate(outline=AsGeoJSON(SimplifyPreserveTopology("geometry", tolerance_degrees),
                                               precision=decimals))

    def valid_on(self, day: datetime.date) -> MunicipalityQuerySet:
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))

    def id_for_point(self, point: Point | Combinable) -> Coalesce:
        """The rule that places a point in a municipality, as one SQL expression.

        Inside a current municipality (the lowest code wins on a shared border), otherwise the
        nearest one within BORDER_TOLERANCE_M. `point` is a Point or a reference to a point
        column (OuterRef), so a single record and a set-based update use the very same rule.
        """
        point = as_geometry_expression(point)
        current = self.model.objects.current()
        inside = current.filter(geometry__intersects=point).order_by("code").values("pk")[:1]
        nearby = (
            current.filter(geometry__dwithin=(point, _BORDER_TOLERANCE_DEG))
            .annotate(distance_m=DistanceSphere("geometry", point))
            .filter(distance_m__lte=BORDER_TOLERANCE_M)
            .order_by("distance_m", "code")
            .values("pk")[:1]
        )
        return Coalesce(Subquery(inside), Subquery(nearby), output_field=models.BigIntegerField())

    def for_point(self, point: Point) -> Municipality | None:
        """The municipality a point belongs to, or None when it lies outside the Netherlands."""
        return self.filter(pk=self.id_for_point(point)).select_related("province").first()


class Municipality(models.Model):
    code = models.CharField(_("code"), max_length=6, help_text=_("CBS code, e.g. GM0363"))
    name = models.CharField(_("name"), max_length=100)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="municipalities",
                                 verbose_name=_("province"))
    geometry = models.MultiPolygonField(_("boundary"), srid=4326)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True,
                                help_text=_("Empty while the municipality exists; set when it is merged or split."))

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        indexes = [models.Index(Upper("name"), name="municipality_name_any_case")]  # as Place's
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="municipality_code_period_unique"),
            models.UniqueConstraint(fields=["code"], condition=Q(valid_to__isnull=True),
                                    name="municipality_one_current_per_code"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                   name="municipality_period_not_reversed"),
        ]

    def __str__(self) -> str:
        return self.name


class UnknownPostcode(LookupError):
    pass


class PostcodeQuerySet(models.QuerySet["Postcode"]):
    def locate(self, text: str) -> Postcode:
        """The PC4 area for a postcode (`1234` or `1234 AB`); raises InvalidPostcode or UnknownPostcode."""
        pc4 = normalise_postcode(text, allow_pc4=True)[:4]
        try:
            return self.get(pc4=pc4)
        except self.model.DoesNotExist:
            raise UnknownPostcode(
                _("Postcode %(pc4)s is not in the postcode table.") % {"pc4": pc4}
            ) from None


class Postcode(models.Model):
    """An approximate point for a four-digit postcode (PC4), from the shipped GeoNames table."""

    pc4 = models.CharField(_("postcode (PC4)"), max_length=4, unique=True)
    place = models.CharField(_("place"), max_length=100)
    location = models.PointField(_("location"), srid=4326)

    objects = PostcodeQuerySet.as_manager()

    class Meta:
        ordering = ["pc4"]
        verbose_name = _("postcode area")
        verbose_name_plural = _("postcode areas")

    def __str__(self) -> str:
        return f"{self.pc4} {self.place}"


class Place(models.Model):
    """A populated place (town, village, hamlet) from the shipped GeoNames gazetteer."""

    geonameid = models.PositiveIntegerField(unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    population = models.PositiveIntegerField(_("population"), default=0)
    location = models.PointField(_("location"), srid=4326)
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="places",
                                     verbose_name=_("municipality"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        # A search's text that is a place's whole name, in any case (geo.search.places_named): asked
        # on every search of the list and the map, so read from an index rather than 6,750 rows.
        indexes = [models.Index(Upper("name"), name="place_name_any_case")]

    def __str__(self) -> str:
        return self.name


class ReferenceDataset(models.Model):
    """Which version (checksum) of each shipped data file is loaded, so reloading is skipped when unchanged."""

    name = models.CharField(max_length=100, unique=True)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


# Re-exported so callers import the postcode errors from one place.
__all__ = ["InvalidPostcode", "Municipality", "Place", "Postcode", "Province", "UnknownPostcode"]
