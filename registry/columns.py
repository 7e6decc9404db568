"""What the open data holds: the public columns of each table, defined once.

Every format (CSV, GeoJSON, GeoPackage, JSON-LD, the Data Package's Table Schemas) and the data
dictionary on /opendata are made from these lists. A column's meaning comes from the model field
it reads (verbose name and help text), its allowed codes from the field's choices or vocabulary.

Privacy: only what the register publishes about an organisation. The public e-mail address and
phone number, shown one at a time on the site, are left out of the bulk files (a bulk list of
them invites harvesting, and for a small initiative they are often a volunteer's own); so are the
source notes, partnership notes and every editor's name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import F, FloatField, Func, OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Round
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from registry.models import (
    FundingSource,
    Initiative,
    Kind,
    LegalForm,
    LocationPrecision,
    PartnerKind,
    Partnership,
    PartnershipRole,
    Service,
    Status,
    StopReason,
    VerificationMethod,
)

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Frictionless Table Schema type: string, integer, number, date, datetime
    description: str | Promise
    value: Any  # a field path or an ORM expression
    codes: Callable[[], list[tuple[str, str]]] | None = None  # the allowed codes, with their labels
    is_list: bool = False  # several codes joined by LIST_SEPARATOR
    required: bool = False


def described(model: Any, field_name: str) -> str | Promise:
    """The field's name, with its help text when it has one, in the language of the moment it is
    shown. Lazy: these lists are made once, when the module is imported (in the default language),
    and a lazy string's `%` would translate there and then."""
    field = model._meta.get_field(field_name)
    if field.help_text:
        return lazy_text(lambda: _("%(name)s: %(help)s") % {"name": field.verbose_name, "help": field.help_text})
    return field.verbose_name


def lazy_text(make: Callable[[], str]) -> str:  # a lazy proxy, typed as what it stands for
    return lazy(make, str)()


def choices(options: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(value, str(label)) for value, label in options.choices]


def vocabulary(model: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(term.code, term.label) for term in model.objects.order_by("order", "code")]


def codes_of(relation: str, code_path: str, order: str) -> Subquery:
    """The codes of a to-many relation of the outer initiative, joined by LIST_SEPARATOR."""
    through = getattr(Initiative, relation).through
    return Subquery(
        through.objects.filter(initiative=OuterRef("pk")).order_by().values("initiative")
        .annotate(codes=StringAgg(code_path, LIST_SEPARATOR, order_by=order)).values("codes"),
        output_field=TextField())


def coordinate(function: str) -> Round:
    return Round(Func(F("location"), function=function, output_field=FloatField()), 6)


def field(name: str, type_: str, *, value: Any = None, **kwargs: Any) -> Column:
    return Column(name, type_, described(Initiative, name), value or name, **kwargs)


INITIATIVE_COLUMNS: list[Column] = [
    Column("id", "integer", _("Number of the initiative in the register; never reused."), "pk", required=True),
    field("slug", "string", required=True),
    field("name", "string", required=True),
    field("kind", "string", value="kind__code", codes=vocabulary(Kind), required=True),
    Column("services", "string", _("Services the initiative offers (codes)."),
           codes_of("services", "service__code", "service__order"), codes=vocabulary(Service), is_list=True),
    field("short_description", "string"),
    field("description", "string"),
    field("legal_form", "string", codes=choices(LegalForm)),
    field("kvk_number", "string"),
    field("founded_year", "integer"),
    field("status", "string", codes=choices(Status), required=True),
    field("stopped_on", "date"),
    field("stop_reason", "string", codes=choices(StopReason)),
    field("street", "string"),
    field("house_number", "string"),
    field("postcode", "string"),
    field("place", "string"),
    Column("municipality_code", "string", _("CBS code of the municipality, e.g. GM0546."), "municipality__code"),
    Column("municipality_name", "string", _("Name of the municipality."), "municipality__name"),
    Column("province_code", "string", _("CBS code of the province, e.g. PV28."), "province__code"),
    Column("province_name", "string", _("Name of the province."), "province__name"),
    Column("latitude", "number", _("Latitude (WGS84, EPSG:4326)."), coordinate("ST_Y"), required=True),
    Column("longitude", "number", _("Longitude (WGS84, EPSG:4326)."), coordinate("ST_X"), required=True),
    field("location_precision", "string", codes=choices(LocationPrecision), required=True),
    field("website", "string"),
    Column("funding_sources", "string", _("How the initiative is financed (codes)."),
           codes_of("funding_sources", "fundingsource__code", "fundingsource__order"),
           codes=vocabulary(FundingSource), is_list=True),
    field("volunteers", "integer"),
    field("paid_staff", "integer"),
    field("reach_per_week", "integer"),
    field("last_verified_on", "date"),
    field("verification_method", "string", codes=choices(VerificationMethod)),
    field("updated_at", "datetime", required=True),
]

PARTNERSHIP_COLUMNS: list[Column] = [
    Column("initiative_id", "integer", _("The initiative (its id in the initiatives table)."), "initiative_id",
           required=True),
    Column("partner_slug", "string", _("The partner's short name in the register's addresses."), "partner__slug",
           required=True),
    Column("partner_name", "string", _("Name of the partner organisation."), "partner__name", required=True),
    Column("partner_kind", "string", _("Kind of partner (code)."), "partner__kind__code",
           codes=vocabulary(PartnerKind), required=True),
    Column("role", "string", _("What the partner does for the initiative (code)."), "role__code",
           codes=vocabulary(PartnershipRole), required=True),
    Column("start", "string", described(Partnership, "start"), "start"),
    Column("end", "string", described(Partnership, "end"), "end"),
]


def values_query(queryset: QuerySet[Any], columns: Sequence[Column], order: Sequence[str]) -> QuerySet[Any]:
    """The columns' values as one query (tuples in the columns' order), read from the tables: what the
    prepared lines of registry.documents hold (the tests compare the two; the benchmark copies it)."""
    values = {f"c{index}": (F(column.value) if isinstance(column.value, str) else column.value)
              for index, column in enumerate(columns)}
    return queryset.order_by(*order).annotate(**values).values_list(*values)
