"""The one filter set for initiatives, shared by the API, the map and the downloads.

Query parameters are lowerCamelCase (Dutch API Design Rules). Every value is checked here,
before it reaches the database, and a bad one is reported by name (400, problem+json).
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import django_filters as filters
from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from geo.expressions import DistanceMetres, as_geography
from geo.models import Municipality, Province
from registry.models import FundingSource, Initiative, Kind, Partner, PartnerKind, PartnershipRole, Service, Status
from registry.querysets import InitiativeQuerySet

MAX_RADIUS_M = 300_000  # the whole country fits in 300 km
DEFAULT_RADIUS_M = 5_000
# The Netherlands with a margin: nothing the register holds lies outside.
NL_BOUNDS = (2.5, 50.5, 7.5, 53.8)
# A text whose last word, of two letters or more, is followed by a star: that word is the beginning
# of a word (q). A single letter would be the beginning of most words in the register.
UNFINISHED = re.compile(r"[^\W_]{2}\*+\s*$")


class NumbersField(forms.CharField):
    """Comma-separated numbers, like `4.4,52.1,4.6,52.2`."""

    def __init__(self, *, count: int, example: str, **kwargs: Any) -> None:
        self.count, self.example = count, example
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[float] | None:  # type: ignore[override]  # a CharField that parses its text
        value = super().to_python(value)
        if not value:
            return None
        parts = value.split(",")
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            numbers = []
        if len(parts) != self.count or len(numbers) != self.count or not all(map(math.isfinite, numbers)):
            raise ValidationError(_("Expected %(count)d numbers separated by commas, like %(example)s."),
                                  code="invalid", params={"count": self.count, "example": self.example})
        return numbers


def check_lon_lat(lon: float, lat: float) -> None:
    if not -180 <= lon <= 180:
        raise ValidationError(_("Longitude %(lon)s is outside -180…180."), params={"lon": lon}, code="invalid")
    if not -90 <= lat <= 90:
        raise ValidationError(_("Latitude %(lat)s is outside -90…90."), params={"lat": lat}, code="invalid")


class BBoxField(NumbersField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(count=4, example="4.4,52.1,4.6,52.2", **kwargs)

    def to_python(self, value: Any) -> list[float] | None:  # type: ignore[override]  # as NumbersField
        box = super().to_python(value)
        if box is None:
            return None
        min_lon, min_lat, max_lon, max_lat = box
        check_lon_lat(min_lon, min_lat)
        check_lon_lat(max_lon, max_lat)
        if min_lon > max_lon or min_lat > max_lat:
            raise ValidationError(_("The box is minLon,minLat,maxLon,maxLat: the minimum must not exceed the "
                                    "maximum."), code="invalid")
        return box


class LonLatField(NumbersField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(count=2, example="4.49,52.16", **kwargs)

    def to_python(self, value: Any) -> Point | None:  # type: ignore[override]  # the numbers as a point
        numbers = super().to_python(value)
        if numbers is None:
            return None
        check_lon_lat(*numbers)
        return Point(numbers[0], numbers[1], srid=4326)


class BBoxFilter(filters.Filter):
    field_class = BBoxField

    def filter(self, qs: InitiativeQuerySet, value: list[float] | None) -> InitiativeQuerySet:
        return qs.in_bbox(*value) if value else qs


class LonLatFilter(filters.Filter):
    field_class = LonLatField


def no_codes(value: Any) -> bool:
    """Whether a code filter was given no code. The form then gives an empty queryset, and asking it
    whether it is empty (`not value`) would compile it: six times per request."""
    return value is None or (isinstance(value, QuerySet) and value.query.is_empty()) or not value


class CodeChoiceFilter(filters.ModelMultipleChoiceFilter):
    """A repeatable vocabulary or area code (`?service=winkel&service=energie`): any of them.

    The value is checked against the table (an unknown code is a 400). `field_name` is the
    relation from an initiative to the coded table; a to-many relation is matched with a
    subquery, so no initiative is repeated and no DISTINCT is needed.
    """

    def __init__(self, *args: Any, to_many: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("distinct", False)
        self.to_many = to_many
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Initiative], value: Any) -> QuerySet[Initiative]:
        if no_codes(value):
            return qs
        if not self.to_many:  # a column of the initiative itself: the planner can use its index
            return qs.filter(**{f"{self.field_name}__in": value})
        matching = Initiative.objects.filter(**{f"{self.field_name}__in": value})
        return qs.filter(pk__in=matching.values("pk"))


class InitiativeFilterSet(filters.FilterSet):
    # Attribute names are the query parameters, hence lowerCamelCase.
    kind = CodeChoiceFilter(queryset=Kind.objects.all(), field_name="kind",
                            help_text="Kind code (repeatable: any of them).")
    service = CodeChoiceFilter(queryset=Service.objects.all(), method="filter_services",
                               help_text="Service code (repeatable). With serviceMatch=all, every one.")
    serviceMatch = filters.ChoiceFilter(
        choices=[("any", "any"), ("all", "all")], method="filter_nothing", empty_label=None,
        help_text="Whether an initiative needs any (default) or all of the given services.")
    partner = CodeChoiceFilter(queryset=Partner.objects.all(), to_field_name="slug", to_many=True,
                               field_name="partnerships__partner", help_text="Partner slug (repeatable).")
    partnerKind = CodeChoiceFilter(queryset=PartnerKind.objects.all(),
                                   field_name="partnerships__partner__kind", to_many=True,
                                   help_text="Kind of partner code (repeatable).")
    partnershipRole = CodeChoiceFilter(queryset=PartnershipRole.objects.all(),
                                       field_name="partnerships__role", to_many=True,
                                       help_text="Partnership role code (repeatable).")
    fundingSource = CodeChoiceFilter(queryset=FundingSource.objects.all(),
                                     field_name="funding_sources", to_many=True,
                                     help_text="Funding source code (repeatable).")
    municipality = CodeChoiceFilter(queryset=Municipality.objects.all(), field_name="municipality",
                                    help_text="CBS municipality code, e.g. GM0546 (repeatable).")
    province = CodeChoiceFilter(queryset=Province.objects.all(), field_name="province",
                                help_text="CBS province code, e.g. PV28 (repeatable).")
    status = filters.MultipleChoiceFilter(choices=Status.choices, distinct=False, help_text="Status (repeatable).")
    q = filters.CharFilter(method="filter_text", max_length=200,
                           help_text="Free-text search over name, place, municipality and province (also by "
                                     "their everyday names), kind, services, partners and descriptions: every "
                                     "word must match, also as part of a compound word or with a small typo; "
                                     "ranked, best first, unless `ordering` is given. A `*` after the last "
                                     "word (two letters at least) makes it the beginning of a word "
                                     "(`village sh*`), as the map reads its search box.")
    bbox = BBoxFilter(help_text="minLon,minLat,maxLon,maxLat (WGS84).")
    near = LonLatFilter(method="filter_nothing",
                          help_text="lon,lat (WGS84): only initiatives within `radius` metres, nearest first.")
    radius = filters.NumberFilter(method="filter_nothing", min_value=1, max_value=MAX_RADIUS_M,
                                  help_text=f"Metres around `near` (default {DEFAULT_RADIUS_M}).")
    foundedFrom = filters.NumberFilter(field_name="founded_year", lookup_expr="gte",
                                       min_value=1800, max_value=2100, help_text="Founded in or after this year.")
    foundedTo = filters.NumberFilter(field_name="founded_year", lookup_expr="lte",
                                     min_value=1800, max_value=2100, help_text="Founded in or before this year.")
    updatedSince = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                             help_text="Changed at or after this moment (ISO 8601).")
    verifiedSince = filters.DateFilter(field_name="last_verified_on", lookup_expr="gte",
                                       help_text="Verified on or after this date (YYYY-MM-DD).")
    stale = filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_stale",
        help_text="true: only running initiatives not verified in the last 12 months (or never); false: the others.")
    ordering = filters.OrderingFilter(
        fields=(("name", "name"), ("founded_year", "foundedYear"), ("updated_at", "updatedAt"),
                ("last_verified_on", "lastVerifiedOn")),
        help_text="Sort by name, foundedYear, updatedAt or lastVerifiedOn; a leading - reverses. "
                  "With `near`, the default is by distance.")

    class Meta:
        model = Initiative
        fields: list[str] = []

    # django-filter makes, for every request, deep copies of all twenty filters and a new form class
    # from fields made anew: a third of the time of a page of prepared documents. The filters keep no
    # state of a request but their model and parent, so a shallow copy each will do; the form class
    # follows from the filters alone and is made once per language (its labels are translated).
    _form_classes: dict[str, type[forms.Form]] = {}

    def __init__(self, data: Any = None, queryset: Any = None, *, request: Any = None,
                 prefix: str | None = None) -> None:
        self.__dict__["base_filters"] = {}  # what super() deep-copies: nothing
        try:
            super().__init__(data, queryset, request=request, prefix=prefix)
        finally:
            del self.__dict__["base_filters"]
        self.filters = {name: copy.copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = self.queryset.model
            filter_.parent = self
            if filter_.method is not None:  # bound to the filter it was set on: bind it to the copy
                filter_.method = filter_.method

    def get_form_class(self) -> type[forms.Form]:
        key = f"{type(self).__qualname__}:{get_language()}"
        if key not in self._form_classes:
            self._form_classes[key] = super().get_form_class()
        return self._form_classes[key]

    def filter_nothing(self, qs: InitiativeQuerySet, name: str, value: Any) -> InitiativeQuerySet:
        return qs  # read together with another parameter in filter_queryset

    def filter_services(self, qs: InitiativeQuerySet, name: str, value: list[Service]) -> InitiativeQuerySet:
        if no_codes(value):
            return qs
        if self.form.cleaned_data.get("serviceMatch") == "all":
            for service in value:
                qs = qs.filter(pk__in=Initiative.services.through.objects.filter(service=service)
                               .values("initiative_id"))
            return qs
        return qs.filter(pk__in=Initiative.services.through.objects.filter(service__in=value)
                         .values("initiative_id"))


    def filter_stale(self, qs: InitiativeQuerySet, name: str, value: str) -> InitiativeQuerySet:
        if not value:
            return qs
        return qs.stale() if value == "true" else qs.fresh()

    def filter_text(self, qs: InitiativeQuerySet, name: str, value: str) -> InitiativeQuerySet:
        if not value.strip():
            return qs
        return qs.search(value, prefix=UNFINISHED.search(value) is not None)

    def filter_queryset(self, queryset: InitiativeQuerySet) -> InitiativeQuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        point, radius = data.get("near"), data.get("radius")
        if point is not None:
            metres = float(radius) if radius is not None else DEFAULT_RADIUS_M
            queryset = queryset.near(point, metres).annotate(
                distance_m=DistanceMetres(as_geography(F("location")), as_geography(point)))
            if not data.get("ordering"):
                queryset = queryset.order_by("distance_m", "pk")
        elif data.get("q") and data.get("q", "").strip() and not data.get("ordering"):
            queryset = queryset.best_first()
        elif data.get("ordering"):
            # The id breaks ties, so that a page holds the same records however often it is asked for.
            queryset = queryset.order_by(*queryset.query.order_by, "pk")
        return queryset

    def is_valid(self) -> bool:
        valid = super().is_valid()
        data = self.form.cleaned_data if valid else {}
        if valid and data.get("radius") is not None and data.get("near") is None:
            self.form.add_error("radius", _("radius needs near=lon,lat."))
            return False
        return valid


# Parameters whose values the register bounds (codes, years, choices): an answer to a query of
# only these may be kept for the next client (registry.caching). A free text, a box, a point or a
# moment takes any value, and each would be an entry of its own.
UNBOUNDED_PARAMETERS = frozenset({"q", "bbox", "near", "radius", "updatedSince", "verifiedSince"})
KEPT_FILTER_PARAMETERS = frozenset(InitiativeFilterSet.base_filters) - UNBOUNDED_PARAMETERS
