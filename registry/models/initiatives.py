"""Initiatives: the register's records, their fixed choices, and their old slugs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db.models import Q
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from geo.expressions import as_geography
from geo.models import Municipality, Postcode, Province, UnknownPostcode
from geo.postcodes import InvalidPostcode, normalise_postcode
from registry.models.choices import (
    LegalForm,
    LocationPrecision,
    PublicationState,
    Status,
    StopReason,
    VerificationMethod,
)
from registry.models.vocabularies import FundingSource, Kind, Service
from registry.querysets import InitiativeQuerySet, stale_cutoff
from registry.validators import (
    DigitsField,
    PostcodeField,
    WebAddressField,
    validate_founded_year,
    validate_kvk_number,
    validate_phone,
)


class Initiative(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, blank=True,
                            help_text=_("Part of the page address. Made from the name when left empty; "
                                        "an old slug keeps redirecting after a change."))
    # No index of its own: initiative_by_kind_name begins with it.
    kind = models.ForeignKey(Kind, on_delete=models.PROTECT, related_name="initiatives", verbose_name=_("kind"),
                             db_index=False)
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
    # None until located: a new record without a point takes one from its postcode in clean().
    location: models.PointField[Point | Combinable | None, Point | None] = models.PointField(
        _("location"), srid=4326, blank=True,
        help_text=_("Place the point on the map; left empty, it is taken from the postcode and marked as approximate."))
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
    # Who in the network looks after this record (an editor or administrator who may change it; the
    # actions check that). Internal: never on the site, in the API or in the open data.
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="assigned_initiatives", verbose_name=_("assigned to"))

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[services, funding_sources])
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
            # The public list's order, for pages deep in it and walks by cursor: an index-only scan
            # instead of reading every published row up to the page (measured: 85 ms → 2 ms at 40,000).
            models.Index(fields=["name", "id"], condition=Q(publication_state=PublicationState.PUBLISHED),
                         name="published_by_name"),
            # A page of one province's initiatives by name: walked within the province, where the name
            # index alone walked from A through every province (and a service whose records are named
            # alike sits in one stretch of the alphabet: 10,368 rows read for 50, 110 ms). The load
            # test's 144 filtered pages: 5.5 s in all before, 2.4 s with it.
            models.Index(fields=["province", "name", "id"], condition=Q(publication_state=PublicationState.PUBLISHED),
                         name="published_by_province_name"),
            # A kind's initiatives by name: the search's labelled records for a kind's label ("care
            # cooperative", InitiativeQuerySet._labelled_by_name), where the name index alone walked
            # 80,000 rows to reach the zorgcoöperaties, named alike at Z (75 ms for 20). Of every
            # record, drafts too: a maintainer's search holds them.
            models.Index(fields=["kind", "name", "id"], name="initiative_by_kind_name"),
            # Whether a record is published, answered from the index alone: the search finds its
            # matches in its own table and then keeps the published ones. Without it PostgreSQL read
            # every published row to hash them ("dagbesteding", 9,813 matches: 85 → 39 ms;
            # "amsterdam": 28 → 4 ms, under load).
            models.Index(fields=["id"], condition=Q(publication_state=PublicationState.PUBLISHED),
                         name="published_ids"),
            # For distances in metres (near); the plain GiST index on location serves boxes.
            GistIndex(as_geography(models.F("location")), name="initiative_location_geography"),
            # The public boxes (API bbox, map tiles, OGC items): without it PostgreSQL ANDs the box's
            # bitmap with the 90,000 published rows of the state index (1,000 in a box at 100,000:
            # 7 → 2 ms for the ids), or reads the drafts and archived records in the box and drops them.
            # The location as an expression: for an index of one geometry field Django's PostGIS
            # schema editor writes its own statement and leaves the condition out (until migration
            # 0029 this was a second, whole copy of the spatial index, written with every move).
            GistIndex(models.F("location"), condition=Q(publication_state=PublicationState.PUBLISHED),
                      name="published_location"),
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
    def field_named(cls, name: str) -> models.Field[Any, Any]:
        """One of the record's own fields by name (Options.get_field also finds reverse relations)."""
        field = cls._meta.get_field(name)
        if not isinstance(field, models.Field):
            raise FieldDoesNotExist(f"{cls.__name__}.{name} is a relation to another model, not a field")
        return field

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
        excluded: set[str] = getattr(self, "_excluded_from_clean", set())
        for field in [name for name in errors if name in excluded]:
            label = str(self.field_named(field).verbose_name).capitalize()
            errors.setdefault(NON_FIELD_ERRORS, []).extend(f"{label}: {message}" for message in errors.pop(field))
        if errors:
            raise ValidationError(errors)

    def status_errors(self) -> dict[str, list[Any]]:
        """The rules of status, stop date and reason alone (what clean() checks of them), for a change
        of only those fields on many records at once (registry.actions.stop_many)."""
        errors: dict[str, list[Any]] = {}
        self._clean_status(errors)
        return errors

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
        assert self.location is not None, "areas are derived from a point"
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
