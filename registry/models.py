"""The register: initiatives, partners, partnerships and the vocabularies that describe them."""

from __future__ import annotations

import calendar
import datetime
import functools
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import NON_FIELD_ERRORS, EmptyResultSet, ValidationError
from django.db import connection, connections, router
from django.db.models import OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geo.models import Municipality, Postcode, Province, UnknownPostcode
from geo.postcodes import InvalidPostcode, normalise_postcode
from registry.validators import (
    DigitsField,
    PostcodeField,
    WebAddressField,
    parse_partial_date,
    validate_founded_year,
    validate_kvk_number,
    validate_oin,
    validate_partial_date,
    validate_phone,
)

# ---------------------------------------------------------------------------------------------
# Vocabularies: small tables with a stable code (used in URLs, the API and exports) and labels
# in both languages. Seeded by a data migration; maintainers may add terms in the admin.


class Vocabulary(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True,
                            help_text=_("Stable identifier used in addresses, the API and downloads."))
    label_nl = models.CharField(_("label (Dutch)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "nl").startswith("en") else self.label_nl


class Kind(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("kind of initiative")
        verbose_name_plural = _("kinds of initiative")


class Service(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("service")
        verbose_name_plural = _("services")


class PartnerKind(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("kind of partner")
        verbose_name_plural = _("kinds of partner")


class PartnershipRole(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("partnership role")
        verbose_name_plural = _("partnership roles")


class FundingSource(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")


# ---------------------------------------------------------------------------------------------
# Fixed choices: these never change, so they are enums rather than tables.


class LegalForm(models.TextChoices):
    STICHTING = "stichting", _("foundation (stichting)")
    VERENIGING = "vereniging", _("association (vereniging)")
    COOPERATIE = "cooperatie", _("cooperative (coöperatie)")
    BV = "bv", _("private company (bv)")
    INFORMEEL = "informeel", _("informal (no legal entity)")


class Status(models.TextChoices):
    ACTIVE = "actief", _("active")
    PAUSED = "gepauzeerd", _("paused")
    STOPPED = "gestopt", _("stopped")


class StopReason(models.TextChoices):
    FUNDING = "financiering", _("lack of funding")
    PEOPLE = "menskracht", _("lack of people")
    GOAL_REACHED = "doel-bereikt", _("goal reached")
    OTHER = "overig", _("other")


class PublicationState(models.TextChoices):
    DRAFT = "concept", _("draft")
    PUBLISHED = "gepubliceerd", _("published")
    ARCHIVED = "gearchiveerd", _("archived")


class VerificationMethod(models.TextChoices):
    PHONE = "telefoon", _("by phone")
    EMAIL = "e-mail", _("by e-mail")
    VISIT = "bezoek", _("by a visit")
    WEBSITE = "website", _("from the website")
    SELF = "zelf", _("confirmed by the initiative itself")
    IMPORT = "import", _("from an imported list")


class LocationPrecision(models.TextChoices):
    EXACT = "exact", _("exact (placed on the map or from coordinates)")
    POSTCODE = "postcode", _("approximate (centre of the postcode area)")


# ---------------------------------------------------------------------------------------------


def as_geography(value: Point | models.F) -> Cast:
    if isinstance(value, Point):
        value = models.Value(value, output_field=models.PointField(srid=4326))
    return Cast(value, output_field=models.PointField(srid=4326, geography=True))


class DistanceMetres(models.Func):
    """Metres between two geographies (on the spheroid)."""

    function = "ST_Distance"
    output_field = models.FloatField()


class WithinMetres(models.Func):
    function = "ST_DWithin"
    output_field = models.BooleanField()


class InitiativeQuerySet(models.QuerySet["Initiative"]):
    def published(self) -> InitiativeQuerySet:
        return self.filter(publication_state=PublicationState.PUBLISHED)

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
        links, service = Initiative.services.through._meta.db_table, Service._meta.db_table
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
        """Place every initiative in this queryset in its municipality and province, set-based.

        One UPDATE statement whatever the number of records, with the same rule as a single save
        (Municipality.objects.id_for_point), evaluated once per record. Only rows whose areas
        change are written; a point outside every municipality gets none. A changed record gets
        a new updated_at and a history entry, like any other change to its public document.
        Returns the number of records that changed. record_history=False is for a caller that
        writes the records' history itself (bulk creation).
        """
        derived = self.order_by().annotate(
            initiative_id=models.F("pk"), derived_id=Municipality.objects.id_for_point(OuterRef("location")))
        derived_sql, params = derived.values("initiative_id", "derived_id").query.sql_with_params()
        table, areas = Initiative._meta.db_table, Municipality._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                # MATERIALIZED: merged into the UPDATE, the lookup would run up to four times a row.
                f"""
                WITH derived AS MATERIALIZED ({derived_sql})
                UPDATE {table} AS initiative
                   SET municipality_id = derived.derived_id, province_id = area.province_id,
                       updated_at = statement_timestamp()
                  FROM derived
                  LEFT JOIN {areas} AS area ON area.id = derived.derived_id
                 WHERE initiative.id = derived.initiative_id
                   AND (initiative.municipality_id IS DISTINCT FROM derived.derived_id
                        OR initiative.province_id IS DISTINCT FROM area.province_id)
                RETURNING initiative.id
                """,
                params,
            )
            changed = [row[0] for row in cursor.fetchall()]
            if record_history:
                write_history(cursor, changed, reason="areas derived again from the point")
        return len(changed)


def stale_cutoff(today: datetime.date | None = None) -> datetime.date:
    """The earliest verification date that still counts as fresh."""
    today = today or timezone.localdate()
    months = today.year * 12 + today.month - 1 - settings.STALE_AFTER_MONTHS
    year, month = divmod(months, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return datetime.date(year, month + 1, day)


def write_history(cursor: Any, ids: list[int], reason: str) -> None:
    """History entries for records changed by a set-based UPDATE, copied from the rows in SQL."""
    if not ids:
        return
    history = Initiative.history.model
    columns = [field.column for field in Initiative._meta.concrete_fields
               if field.name != "search_vector"]
    names = ", ".join(f'"{column}"' for column in columns)
    cursor.execute(
        f"""
        INSERT INTO {history._meta.db_table}
               ({names}, history_date, history_change_reason, history_type, history_user_id)
        SELECT {names}, statement_timestamp(), %s, '~', NULL
          FROM {Initiative._meta.db_table} WHERE id = ANY(%s)
        """,
        [reason, ids],
    )


class Initiative(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, blank=True,
                            help_text=_("Part of the page address. Made from the name when left empty; "
                                        "an old slug keeps redirecting after a change."))
    kind = models.ForeignKey(Kind, on_delete=models.PROTECT, related_name="initiatives", verbose_name=_("kind"))
    services = models.ManyToManyField(Service, blank=True, related_name="initiatives", verbose_name=_("services"))
    short_description = models.CharField(_("short description"), max_length=280, blank=True)
    description = models.TextField(_("description"), blank=True)
    legal_form = models.CharField(_("legal form"), max_length=20, choices=LegalForm.choices, blank=True)
    kvk_number = DigitsField(_("KvK number"), max_length=8, blank=True, validators=[validate_kvk_number],
                             help_text=_("Chamber of Commerce number: 8 digits."))
    founded_year = models.PositiveSmallIntegerField(_("founded in"), null=True, blank=True,
                                                    validators=[validate_founded_year])

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    stop_reason = models.CharField(_("reason for stopping"), max_length=20, choices=StopReason.choices,
                                   blank=True)

    street = models.CharField(_("street"), max_length=200, blank=True)
    house_number = models.CharField(_("house number"), max_length=20, blank=True)
    postcode = PostcodeField(_("postcode"), blank=True,
                             help_text=_("Like 1234 AB; the four digits alone when the letters are unknown."))
    place = models.CharField(_("place"), max_length=100, blank=True)
    location = models.PointField(_("location"), srid=4326, blank=True,
                                 help_text=_("Place the point on the map; left empty, it is taken from the "
                                             "postcode and marked as approximate."))
    location_precision = models.CharField(_("location precision"), max_length=10,
                                          choices=LocationPrecision.choices, default=LocationPrecision.EXACT,
                                          editable=False)
    # Derived from the location by a point-in-polygon query, never typed by hand.
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True, editable=False,
                                     related_name="initiatives", verbose_name=_("municipality"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, editable=False,
                                 related_name="initiatives", verbose_name=_("province"))

    website = WebAddressField(_("website"), max_length=300, blank=True)
    email = models.EmailField(_("public e-mail address"), blank=True,
                              help_text=_("The organisation's own public address, never a private person's."))
    phone = models.CharField(_("public phone number"), max_length=20, blank=True, validators=[validate_phone])

    funding_sources = models.ManyToManyField(FundingSource, blank=True, related_name="initiatives",
                                             verbose_name=_("funding sources"))
    volunteers = models.PositiveIntegerField(_("volunteers"), null=True, blank=True)
    paid_staff = models.PositiveIntegerField(_("paid staff"), null=True, blank=True)
    reach_per_week = models.PositiveIntegerField(_("people reached per week"), null=True, blank=True)

    publication_state = models.CharField(_("publication state"), max_length=20,
                                         choices=PublicationState.choices, default=PublicationState.DRAFT)
    source = models.CharField(_("source"), max_length=200, blank=True,
                              help_text=_("Where the record comes from: a list, a form, a conversation."))
    source_url = WebAddressField(_("source address"), max_length=300, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True,
                                   help_text=_("The record's identifier in the list it was imported from "
                                               "(with the source): importing that list again updates this "
                                               "record instead of adding a second one."))
    last_verified_on = models.DateField(_("last verified on"), null=True, blank=True)
    verification_method = models.CharField(_("verification method"), max_length=20,
                                           choices=VerificationMethod.choices, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Dutch full-text search over name (weighs most), place and descriptions; kept by PostgreSQL.
    search_vector = models.GeneratedField(
        expression=SearchVector("name", weight="A", config="dutch")
        + SearchVector("place", weight="B", config="dutch")
        + SearchVector("short_description", "description", weight="C", config="dutch"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    history = HistoricalRecords(m2m_fields=[services, funding_sources], excluded_fields=["search_vector"])
    objects = InitiativeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["publication_state"]),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["name", "id"], name="initiative_by_name"),  # the default order of lists
            # For distances in metres (near); the plain GiST index on location serves boxes.
            GistIndex(as_geography(models.F("location")), name="initiative_location_geography"),
            GinIndex(fields=["search_vector"], name="initiative_search"),
        ]
        constraints = [
            # A safety net under clean(): these also hold for writes that bypass validation.
            models.CheckConstraint(
                condition=Q(status=Status.STOPPED, stopped_on__isnull=False)
                | (~Q(status=Status.STOPPED) & Q(stopped_on__isnull=True, stop_reason="")),
                name="initiative_stop_date_only_when_stopped",
                violation_error_message=_("A stopped initiative has a stop date, and only a stopped one."),
            ),
            models.CheckConstraint(condition=Q(kvk_number="") | Q(kvk_number__regex=r"^[0-9]{8}$"),
                                   name="initiative_kvk_8_digits"),
            models.CheckConstraint(condition=Q(postcode="") | Q(postcode__regex=r"^[1-9][0-9]{3}( [A-Z]{2})?$"),
                                   name="initiative_postcode_normalised"),
            models.UniqueConstraint(fields=["source", "external_id"], condition=~Q(external_id=""),
                                    name="initiative_external_id_per_source",
                                    violation_error_message=_("Another initiative from this source already "
                                                              "has this external id.")),
        ]

    def __str__(self) -> str:
        return self.name

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._areas_derived_for: bytes | None = None
        self._stored_slug: str | None = None
        self._location_basis: tuple[str, Point | None] | None = ("", None)
        self._stored_areas: tuple[int | None, int | None] | None = None

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Initiative:
        instance = super().from_db(db, field_names, values)
        # Read __dict__, not attributes: touching a deferred field would load it, recursively.
        loaded = instance.__dict__
        instance._stored_slug = loaded.get("slug")
        if "municipality_id" in loaded and "province_id" in loaded:
            instance._stored_areas = (loaded["municipality_id"], loaded["province_id"])
        if "postcode" in loaded and "location" in loaded:
            instance._remember_location_basis()
        else:
            instance._location_basis = None
        return instance

    def _remember_location_basis(self) -> None:
        """The postcode and point as last stored or derived, to tell a point moved by hand from a
        new postcode that should move an approximate point (None: not loaded, so not compared)."""
        self._location_basis = (self.postcode, self.location.clone() if self.location else None)

    def full_clean(self, exclude: Any = None, validate_unique: bool = True, validate_constraints: bool = True) -> None:
        # A form or serializer that leaves fields out cannot show errors on them (see clean()).
        self._excluded_from_clean = set(exclude or ())
        super().full_clean(exclude, validate_unique, validate_constraints)

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        self._clean_status(errors)
        self._clean_location(errors)
        self._clean_slug(errors)
        excluded = getattr(self, "_excluded_from_clean", set())
        for field in [name for name in errors if name in excluded]:
            label = str(self._meta.get_field(field).verbose_name).capitalize()
            errors.setdefault(NON_FIELD_ERRORS, []).extend(f"{label}: {message}" for message in errors.pop(field))
        if errors:
            raise ValidationError(errors)

    def _clean_status(self, errors: dict[str, list[Any]]) -> None:
        if self.status == Status.STOPPED:
            if not self.stopped_on:
                errors.setdefault("stopped_on", []).append(
                    _("A stopped initiative needs the date it stopped."))
            if not self.stop_reason:
                errors.setdefault("stop_reason", []).append(
                    _("A stopped initiative needs a reason for stopping (choose “other” when unknown)."))
        else:
            if self.stopped_on:
                errors.setdefault("stopped_on", []).append(
                    _("Only a stopped initiative has a stop date: set the status to stopped or clear the date."))
            if self.stop_reason:
                errors.setdefault("stop_reason", []).append(
                    _("Only a stopped initiative has a reason for stopping."))
        if self.stopped_on and self.stopped_on > timezone.localdate():
            errors.setdefault("stopped_on", []).append(_("The stop date lies in the future."))
        if self.stopped_on and self.founded_year and self.stopped_on.year < self.founded_year:
            errors.setdefault("stopped_on", []).append(_("The stop date lies before the founding year."))

    def _clean_location(self, errors: dict[str, list[Any]]) -> None:
        if self.location is None and self.postcode:
            try:
                normalise_postcode(self.postcode, allow_pc4=True)
            except InvalidPostcode:
                return  # the postcode field reports its own error; it cannot place the point
        try:
            self.locate()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
            return
        try:
            self.derive_areas()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)

    def _clean_slug(self, errors: dict[str, list[Any]]) -> None:
        if not self.slug:
            return
        alias = SlugAlias.objects.filter(slug=self.slug).exclude(initiative_id=self.pk).first()
        if alias is not None:
            errors.setdefault("slug", []).append(
                _("The slug “%(slug)s” used to belong to “%(other)s” and still leads there; choose another.")
                % {"slug": self.slug, "other": alias.initiative.name})

    # -- location and areas -------------------------------------------------------------------

    def locate(self) -> None:
        """Take an approximate point from the postcode when no point was given (or the postcode of
        an approximate point changed); a point placed by hand is exact."""
        basis_postcode, basis_location = self._location_basis or (self.postcode, self.location)
        postcode_changed = basis_postcode != self.postcode
        if self.location is not None and self.location_precision == LocationPrecision.POSTCODE:
            moved = basis_location is not None and not basis_location.equals_exact(self.location)
            if moved:
                self.location_precision = LocationPrecision.EXACT
            elif postcode_changed:
                self.location = None  # re-derive from the new postcode below
        if self.location is not None:
            return
        if not self.postcode:
            raise ValidationError({"location": _("Give a location: place a point on the map, or fill in "
                                                 "the postcode to use the centre of its postcode area.")})
        try:
            area = Postcode.objects.locate(self.postcode)
        except (UnknownPostcode, InvalidPostcode) as error:
            raise ValidationError({"postcode": str(error)}) from None
        self.location = Point(area.location.x, area.location.y, srid=4326)
        self.location_precision = LocationPrecision.POSTCODE
        self._remember_location_basis()

    def derive_areas(self) -> None:
        """Set municipality and province from the point; refuse a point outside the Netherlands."""
        if self.location is None:
            return
        if self.location.srid != 4326:
            self.location.transform(4326)
        if self._areas_derived_for == self.location.wkb:
            return
        municipality = Municipality.objects.for_point(self.location)
        if municipality is None:
            raise ValidationError({"location": _(
                "The point (%(lon).5f, %(lat).5f) lies outside the Netherlands: more than 1 km from every "
                "Dutch municipality. Check that longitude and latitude are not swapped.")
                % {"lon": self.location.x, "lat": self.location.y}})
        self.municipality, self.province = municipality, municipality.province
        self._areas_derived_for = bytes(self.location.wkb)

    def use_postcode_location(self, location: Point) -> None:
        """Take `location` (SRID 4326) as the centre of this record's postcode area, as locate() would,
        when the caller looked it up itself (an import reads the postcode table once, not per row)."""
        self.location = location
        self.location_precision = LocationPrecision.POSTCODE
        self._remember_location_basis()

    def use_derived_areas(self, municipality_id: int, province_id: int) -> None:
        """Take the areas of the current point from a caller that derived them by the same rule
        (Municipality.objects.id_for_point, e.g. set-based for many points at once), so that
        validation and saving do not look them up again; a point moved afterwards is derived anew."""
        self.municipality_id, self.province_id = municipality_id, province_id
        self._areas_derived_for = bytes(self.location.wkb)

    # -- saving -------------------------------------------------------------------------------

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.locate()
        self.derive_areas()
        stored_slug = self._stored_slug
        if not self.slug:
            base = slug_base(self.name, "initiatief")
            taken = {*Initiative.objects.filter(slug__startswith=base).exclude(pk=self.pk)
                     .values_list("slug", flat=True),
                     *SlugAlias.objects.filter(slug__startswith=base).exclude(initiative_id=self.pk)
                     .values_list("slug", flat=True)}
            self.slug = first_free_slug(base, taken)
        super().save(*args, **kwargs)
        if stored_slug and stored_slug != self.slug:
            SlugAlias.objects.update_or_create(slug=stored_slug, defaults={"initiative": self})
        SlugAlias.objects.filter(slug=self.slug, initiative=self).delete()
        self._stored_slug = self.slug
        self._stored_areas = (self.municipality_id, self.province_id)
        self._remember_location_basis()

    def record_related_change(self) -> None:
        """A partnership changed: the initiative's public document changed too, so it gets a new
        updated_at and a history entry (which the change feed reads)."""
        self._change_reason = "partnerships changed"  # type: ignore[attr-defined]
        self.save(update_fields=["updated_at"])

    @property
    def stored_areas(self) -> tuple[int | None, int | None]:
        """Municipality and province as last read from or written to the database: a form being
        validated may already have derived new ones from a new point on this same object."""
        if self._stored_areas is None:
            return (self.municipality_id, self.province_id)
        return self._stored_areas

    @property
    def is_location_approximate(self) -> bool:
        return self.location_precision == LocationPrecision.POSTCODE

    @property
    def is_stale(self) -> bool:
        """Not verified within STALE_AFTER_MONTHS (a stopped initiative does not go stale)."""
        if self.status == Status.STOPPED:
            return False
        return self.last_verified_on is None or self.last_verified_on < stale_cutoff()


def slug_base(name: str, fallback: str) -> str:
    return (slugify(name) or fallback)[:200]


def first_free_slug(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3` … whichever is not taken."""
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


class SlugAlias(models.Model):
    """An old slug of an initiative (after a rename or a merge): its address redirects (301)."""

    slug = models.SlugField(_("old slug"), max_length=220, unique=True)
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="slug_aliases",
                                   verbose_name=_("initiative"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("old slug")
        verbose_name_plural = _("old slugs")

    def __str__(self) -> str:
        return f"{self.slug} → {self.initiative.slug}"


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, blank=True)
    kind = models.ForeignKey(PartnerKind, on_delete=models.PROTECT, related_name="partners",
                             verbose_name=_("kind"))
    kvk_number = DigitsField(_("KvK number"), max_length=8, blank=True, validators=[validate_kvk_number])
    oin = DigitsField(_("OIN"), max_length=20, blank=True, validators=[validate_oin],
                      help_text=_("Government organisation identification number (20 digits)."))
    website = WebAddressField(_("website"), max_length=300, blank=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="partners", verbose_name=_("municipality"),
                                     help_text=_("Only for a partner that is a municipality."))

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        is_municipality = self.kind_id is not None and self.kind.code == "gemeente"
        if is_municipality and self.municipality_id is None:
            raise ValidationError({"municipality": _("A partner of kind municipality names its municipality.")})
        if not is_municipality and self.municipality_id is not None:
            raise ValidationError({"municipality": _("Only a partner of kind municipality names a municipality.")})

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            base = slug_base(self.name, "partner")
            taken = set(Partner.objects.filter(slug__startswith=base).exclude(pk=self.pk)
                        .values_list("slug", flat=True))
            self.slug = first_free_slug(base, taken)
        super().save(*args, **kwargs)


class Partnership(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="partnerships",
                                   verbose_name=_("initiative"))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="partnerships",
                                verbose_name=_("partner"))
    role = models.ForeignKey(PartnershipRole, on_delete=models.PROTECT, related_name="partnerships",
                             verbose_name=_("role"))
    start = models.CharField(_("start"), max_length=10, blank=True, validators=[validate_partial_date],
                             help_text=_("A year (2021) or a date (2021-03-15)."))
    end = models.CharField(_("end"), max_length=10, blank=True, validators=[validate_partial_date],
                           help_text=_("A year or a date; empty while it lasts."))
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative", "partner", "role"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.UniqueConstraint(fields=["initiative", "partner", "role", "start"],
                                    name="partnership_unique_per_period",
                                    violation_error_message=_("This partner already has this role "
                                                              "with this initiative from this start.")),
        ]

    def __str__(self) -> str:
        return f"{self.partner} ({self.role}) – {self.initiative}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self.initiative.record_related_change()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        result = super().delete(*args, **kwargs)
        self.initiative.record_related_change()
        return result

    def clean(self) -> None:
        try:
            start, end = parse_partial_date(self.start), parse_partial_date(self.end)
        except ValueError:
            return  # an empty or malformed value has its own error from the field
        # A year as end means the whole year: 2021–2021 is fine, 2021-06-01–2020 is not.
        end_last_day = end.replace(month=12, day=31) if len(self.end) == 4 else end
        if end_last_day < start:
            raise ValidationError({"end": _("The end lies before the start.")})


@functools.cache
def _last_change_sql() -> tuple[str, type[models.Model]]:
    # Built once: each `Model.history` access makes a new manager class (half a millisecond), and
    # the version is read on every anonymous request that the response caches answer.
    histories = [model.history.model for model in (Initiative, Partner, Partnership)]  # type: ignore[attr-defined]
    latest = " , ".join(f"(SELECT max(history_date) FROM {history._meta.db_table})" for history in histories)
    return f"SELECT GREATEST({latest})", histories[0]  # GREATEST skips NULLs in PostgreSQL


def last_change() -> datetime.datetime | None:
    """When anything in the register last changed (created, updated or deleted), from the history."""
    statement, history = _last_change_sql()
    # Read where the request reads its data (a replica, see config/replicas.py): a version from the
    # primary with data from a replica that lags behind would file old answers under a new key.
    with connections[router.db_for_read(history)].cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone()[0]


# ---------------------------------------------------------------------------------------------
# The maintainers' workflow: roles by region, merges, duplicate candidates, suggestions from the
# public and from verification links, and imports. Who may do what is decided in registry/roles.py.


class Role(models.TextChoices):
    ADMINISTRATOR = "beheerder", _("national administrator")
    EDITOR = "redacteur", _("regional editor")
    REVIEWER = "meelezer", _("reviewer (reads only)")


class Maintainer(models.Model):
    """A maintainer's role and region. A superuser is a national administrator without one; a staff
    user without one may do nothing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="maintainer",
                                verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    provinces = models.ManyToManyField(Province, blank=True, related_name="+", verbose_name=_("provinces"))
    municipalities = models.ManyToManyField(Municipality, blank=True, related_name="+",
                                            verbose_name=_("municipalities"),
                                            limit_choices_to={"valid_to__isnull": True})
    notify = models.BooleanField(_("e-mail me about suggestions from my region"), default=True)

    class Meta:
        verbose_name = _("maintainer")
        verbose_name_plural = _("maintainers")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        if not self.user.is_staff:  # the admin lets only staff in
            self.user.is_staff = True
            self.user.save(update_fields=["is_staff"])


class Merge(models.Model):
    """Two records of one initiative became one: the removed record's address leads to the kept one."""

    # No database constraint and nothing done on delete: a kept record that is deleted and restored
    # comes back under the same id, and so do the redirects of what was merged into it.
    kept = models.ForeignKey(Initiative, on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                             related_name="merges", verbose_name=_("kept record"))
    removed_id = models.BigIntegerField(_("id of the removed record"), db_index=True)
    removed_name = models.CharField(_("name of the removed record"), max_length=200)
    removed_slug = models.SlugField(_("slug of the removed record"), max_length=220)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("merged by"))
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self.removed_name} (#{self.removed_id}) → #{self.kept_id}"


def merged_into(initiative_id: int) -> int | None:
    """The record a removed record lives on in (following merges of merges), or None."""
    seen: set[int] = set()
    target = None
    while initiative_id not in seen:
        seen.add(initiative_id)
        kept = Merge.objects.filter(removed_id=initiative_id).values_list("kept_id", flat=True).first()
        if kept is None:
            break
        target = initiative_id = kept
    return target


class DuplicateDecision(models.TextChoices):
    OPEN = "open", _("to be reviewed")
    DISTINCT = "verschillend", _("not a duplicate")


class DuplicateCandidate(models.Model):
    """Two records that may describe the same initiative (similar name, close by). A decision that
    they differ is remembered, so the pair is not proposed again; a merge removes the pair."""

    first = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="+", verbose_name=_("first"))
    second = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="+", verbose_name=_("second"))
    name_similarity = models.FloatField(_("name similarity"))
    distance_m = models.FloatField(_("distance (m)"))
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    decision = models.CharField(_("decision"), max_length=20, choices=DuplicateDecision.choices,
                                default=DuplicateDecision.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-name_similarity", "distance_m"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="duplicate_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first} ↔ {self.second}"


class SuggestionKind(models.TextChoices):
    NEW = "aanmelding", _("new initiative")
    CORRECTION = "correctie", _("correction")
    STOPPED = "gestopt", _("reported as stopped")


class SuggestionOrigin(models.TextChoices):
    FORM = "formulier", _("public form")
    VERIFICATION = "controlelink", _("verification link")


class SuggestionState(models.TextChoices):
    PENDING = "open", _("waiting for review")
    APPROVED = "goedgekeurd", _("approved")
    REJECTED = "afgewezen", _("rejected")


class Suggestion(models.Model):
    """A proposal from outside the network: a new initiative, a correction or a report that one
    stopped. Nothing of it is public until an editor approves it."""

    kind = models.CharField(_("kind"), max_length=20, choices=SuggestionKind.choices)
    origin = models.CharField(_("origin"), max_length=20, choices=SuggestionOrigin.choices,
                              default=SuggestionOrigin.FORM)
    state = models.CharField(_("state"), max_length=20, choices=SuggestionState.choices,
                             default=SuggestionState.PENDING)
    # The record it is about; for a new initiative, the record its approval created.
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="suggestions", verbose_name=_("initiative"))
    # Proposed values by model field name (vocabularies and choices by code).
    proposed = models.JSONField(_("proposed values"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    # Private: for questions about the suggestion, never shown on the site, in the API or in exports.
    submitter_name = models.CharField(_("submitted by"), max_length=200, blank=True)
    submitter_email = models.EmailField(_("e-mail address of the submitter"), blank=True)
    # Where it is about, so that the editors of that region see it and are told.
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("municipality"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("province"))
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        indexes = [models.Index(fields=["state", "created_at"], name="suggestion_queue")]

    def __str__(self) -> str:
        name = self.initiative.name if self.initiative_id else self.proposed.get("name", "")
        return f"{self.get_kind_display()}: {name}"


class ImportRun(models.Model):
    """An uploaded list, kept with its report so that the commit reads exactly what the dry run checked."""

    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    source = models.CharField(_("source"), max_length=200,
                              help_text=_("Stored as the source of every record; with the external id it "
                                          "recognises the records of this list when it is imported again."))
    options = models.JSONField(_("options"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
