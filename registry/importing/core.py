"""Checking and committing an import.

check() reads the file, matches each row to the template, builds the initiative it describes
(new, or the existing record it matches with the row's values applied), validates it with the
model's own full_clean() and the importing user's role and region, and reports per row. It
writes nothing.

commit() does the same inside one transaction and, only when no row has an error, writes every
created or updated record at once (bulk inserts and updates), then applies the effects of saving
through registry.saving, exactly as registry.actions.save_edit does for a single record: a history
entry per record with the user, the reason and the links, waiting suggestions that follow their
record into its region, and the search for possible duplicates. Through save_edit, one record at
a time, saving took 16 to 58 ms a row against under 3 ms a row for the whole commit written in
bulk (tests/benchmarks/imports.py): minutes for a large list, more than a web request may take.
Anything that fails while writing undoes the whole import.

Lookups are made once for the whole file, not per row (registry.importing.lookups): the
vocabularies, the postcode table, the existing records, the municipality of every point.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.postcodes import InvalidPostcode, normalise_postcode
from registry import actions, duplicates
from registry.history import LINK_TABLES, Reasons, fitted
from registry.importing import lookups
from registry.importing.columns import BY_ATTRIBUTE, BY_NAME, COORDINATES, Column, Layout, layout
from registry.importing.reading import FileProblem, SourceRow, read
from registry.importing.report import CREATED, ERROR, UNCHANGED, UPDATED, Message, Report, RowResult
from registry.importing.values import CellError, Terms, date, degrees, integer, web_address
from registry.models import (
    FundingSource,
    Initiative,
    Kind,
    LegalForm,
    LocationPrecision,
    PublicationState,
    Service,
    SlugAlias,
    Status,
    StopReason,
    VerificationMethod,
    first_free_slug,
    slug_base,
)
from registry.roles import NotAllowed, access_for
from registry.saving import Saved, after_saving

# Larger uploads are refused in the admin (a list of 100,000 initiatives is about 20 MB as CSV).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PROGRESS_EVERY = 500
BATCH = 5000
# Possible duplicates named per row of a dry run, most likely first.
SIMILAR_PER_ROW = 3
LINKS = ("services", "funding_sources")
# What the import compares to tell an updated record from an unchanged one.
COMPARED = [f.attname for f in Initiative._meta.concrete_fields
            if f.name not in ("id", "created_at", "updated_at")]
# Fields that follow from others, so they are not named as changed by themselves.
FOLLOWING = {"municipality_id", "province_id", "location_precision", "verification_method"}

Progress = Callable[[str, int, int], None]


@dataclass
class ImportOptions:
    source: str
    file_name: str = ""
    format: str = "auto"
    encoding: str = "auto"
    mapping: dict[str, str] = field(default_factory=dict)  # header in the file -> template column ("" ignores)
    publication_state: str = PublicationState.DRAFT  # of new records

    def stored(self) -> dict[str, Any]:
        """What an ImportRun keeps in `options` to commit exactly what it checked."""
        return {"format": self.format, "encoding": self.encoding, "mapping": self.mapping,
                "publication_state": self.publication_state}

    @classmethod
    def from_stored(cls, source: str, file_name: str, options: dict[str, Any]) -> ImportOptions:
        return cls(source=source, file_name=file_name, format=options.get("format", "auto"),
                   encoding=options.get("encoding", "auto"), mapping=dict(options.get("mapping", {})),
                   publication_state=options.get("publication_state", PublicationState.DRAFT))


# -- the public functions --------------------------------------------------------------------------


def check(content: bytes, options: ImportOptions, *, acting_user: User, progress: Progress | None = None) -> Report:
    """The report of importing `content` as `acting_user`, without writing anything.

    Raises NotAllowed when the user's role allows no changes at all (a reviewer, no role)."""
    access_for(acting_user).require_write()
    report, _plans = _Import(content, options, acting_user, progress).run()
    return report


def commit(content: bytes, options: ImportOptions, *, acting_user: User,
           progress: Progress | None = None) -> Report:
    """Check again and, when no row has an error, save every created or updated record, all or nothing."""
    access_for(acting_user).require_write()
    importer = _Import(content, options, acting_user, progress)
    try:
        with transaction.atomic():
            report, plans = importer.run()
            if report.has_errors:
                return report
            importer.save(plans)
            report.committed = True
    except (ValidationError, NotAllowed, DatabaseError) as error:
        importer.failed(error)
        return importer.report
    return report


# -- the work --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    """What pass 1 reads from a row, before it is matched and built."""

    result: RowResult
    values: dict[str, Any] = field(default_factory=dict)  # attribute -> value, non-empty cells only
    failed: set[str] = field(default_factory=set)  # attributes whose cell could not be read
    point: tuple[float, float] | None = None  # (lon, lat) from the coordinates or the geometry
    location_column: str = ""
    postcode: str = ""  # normalised, when valid
    postcode_point: tuple[float, float] | None = None
    location: tuple[float, float] | None = None  # (lon, lat) of the record's new point, once built
    match: int | None = None
    skip: bool = False  # an error that makes further checks pointless


@dataclass(slots=True)
class _Plan:
    """A row that changes the register, ready to be saved."""

    result: RowResult
    instance: Initiative
    before: Initiative | None
    links: dict[str, list[int]]  # the services and funding sources to set (only those that change)
    reason: str
    fields: list[str] = field(default_factory=list)  # the attributes an update changes


class _Import:
    def __init__(self, content: bytes, options: ImportOptions, acting_user: User,
                 progress: Progress | None) -> None:
        self.content, self.options, self.acting_user = content, options, acting_user
        self.access = access_for(acting_user)
        self.progress = progress or (lambda phase, done, total: None)
        self.report = Report(file_name=options.file_name, source=options.source,
                             checked_by=acting_user.get_username())
        self._points: dict[tuple[float, float], Point] = {}

    # -- pass 0: the file as a whole ------------------------------------------------------------------

    def run(self) -> tuple[Report, list[_Plan]]:
        report, options = self.report, self.options
        source_limit = Initiative._meta.get_field("source").max_length
        if not options.source.strip():
            report.file_errors.append(_("Name the source of the list: it is stored on every record."))
        elif source_limit is not None and len(options.source) > source_limit:
            report.file_errors.append(_("The source is longer than %(max)d characters.") % {"max": source_limit})
        if options.publication_state not in PublicationState.values:
            report.file_errors.append(_("Unknown publication state “%(state)s”.")
                                      % {"state": options.publication_state})
        try:
            table = read(self.content, options.file_name, options.format, options.encoding)
        except FileProblem as problem:
            report.file_errors.append(str(problem))
            return report, []
        report.format, report.line_label = table.format, table.line_label
        report.notices.extend(table.notices)
        self.layout = layout(table.headers, options.mapping, has_geometry=table.has_geometry)
        report.file_errors.extend(self.layout.errors)
        if self.layout.ignored:
            report.notices.append(_("Ignored columns (not in the template): %(columns)s.")
                                  % {"columns": ", ".join(self.layout.ignored)})
        if report.file_errors:
            return report, []

        self._load_vocabularies()
        self.postcodes = lookups.postcode_points()
        total = len(table.rows)
        drafts = []
        for number, row in enumerate(table.rows, start=1):
            drafts.append(self._read(row))
            if number % PROGRESS_EVERY == 0:
                self.progress("reading", number, total)
        table.rows.clear()  # the cells are read: let them go before the records are built
        report.rows = [draft.result for draft in drafts]

        points = [p for d in drafts for p in (d.point, d.postcode_point) if p is not None]
        self.areas = lookups.areas_for_points(points)
        self.index = lookups.RecordIndex.load(options.source)
        self._match(drafts)
        records = lookups.records_with_links(d.match for d in drafts if d.match is not None)

        plans: list[_Plan] = []
        created: list[tuple[int, _Draft, Initiative]] = []
        for number, draft in enumerate(drafts, start=1):
            if not draft.skip:
                plan = self._build(draft, records.get(draft.match) if draft.match is not None else None)
                if plan is not None:
                    plans.append(plan)
                    if plan.before is None:
                        created.append((number, draft, plan.instance))
            if number % PROGRESS_EVERY == 0 or number == total:
                self.progress("checking", number, total)
        self._warn_similar(created)
        return report, plans

    def _load_vocabularies(self) -> None:
        self.terms = {
            "kind": Terms.of_vocabulary(Kind), "services": Terms.of_vocabulary(Service),
            "funding_sources": Terms.of_vocabulary(FundingSource), "legal_form": Terms.of_choices(LegalForm),
            "status": Terms.of_choices(Status), "stop_reason": Terms.of_choices(StopReason),
            "publication_state": Terms.of_choices(PublicationState),
        }

    # -- pass 1: each row's cells -----------------------------------------------------------------------

    def _cell(self, column: Column, text: str) -> Any:
        if column.kind == "integer":
            return integer(text)
        if column.kind == "date":
            return date(text)
        if column.kind == "coordinate":
            return degrees(text)
        if column.kind in ("services", "funding"):
            return self.terms[column.attribute].get_many(text)
        if column.kind in ("kind", "choice"):
            return self.terms[column.attribute].get(text)
        if column.attribute in ("website", "source_url"):
            return web_address(text)
        return text

    def _read(self, row: SourceRow) -> _Draft:
        draft = _Draft(RowResult(row.line))
        if row.problem:
            draft.result.error(row.problem_column, row.problem)
            draft.skip = True
            return draft
        header = self.layout.header
        for name, position in self.layout.positions.items():
            text = row.cells[position] if position < len(row.cells) else ""
            if not text:
                continue
            column = BY_NAME[name]
            try:
                draft.values[column.attribute] = self._cell(column, text)
            except CellError as error:
                draft.failed.add(column.attribute)
                draft.result.error(header(name), str(error))
        draft.result.name = draft.values.get("name", "")
        if draft.values.get("last_verified_on") and draft.values["last_verified_on"] > timezone.localdate():
            draft.result.error(header("laatst_gecontroleerd"), _("The date lies in the future."))

        latitude, longitude = draft.values.pop("latitude", None), draft.values.pop("longitude", None)
        if row.point is not None:
            longitude, latitude = row.point
            draft.location_column = "geometry"
        else:
            draft.location_column = "/".join(header(name) for name in COORDINATES)
            if (latitude is None) != (longitude is None) and not {"latitude", "longitude"} & draft.failed:
                missing = "breedtegraad" if latitude is None else "lengtegraad"
                draft.result.error(header(missing), _("Give both coordinates, or neither (the postcode then gives "
                                                      "the location)."))
                draft.failed.add("location")
        if latitude is not None and longitude is not None:
            if -90 <= latitude <= 90 and -180 <= longitude <= 180:
                draft.point = (longitude, latitude)
            else:
                draft.result.error(draft.location_column, _(
                    "(%(lat)s, %(lon)s) are not degrees of latitude and longitude. Coordinates in metres (such as "
                    "Rijksdriehoek) cannot be imported: give WGS84 degrees, like 52.16 and 4.49.")
                    % {"lat": latitude, "lon": longitude})
                draft.failed.add("location")
        elif {"latitude", "longitude"} & draft.failed:
            draft.failed.add("location")

        if draft.values.get("postcode"):
            try:
                draft.postcode = normalise_postcode(draft.values["postcode"], allow_pc4=True)
            except InvalidPostcode:
                pass  # the model's validation says what is wrong with it
            else:
                draft.values["postcode"] = draft.postcode
                draft.postcode_point = self.postcodes.get(draft.postcode[:4])
        return draft

    # -- matching rows to records and to each other ---------------------------------------------------------

    def _match(self, drafts: list[_Draft]) -> None:
        seen_external: dict[str, int] = {}
        seen_address: dict[tuple[str, Any], int] = {}
        seen_record: dict[int, int] = {}
        line_name = self.report.line_name
        header = self.layout.header
        for draft in drafts:
            if draft.skip:
                continue
            line = draft.result.line
            name = lookups.name_key(draft.values.get("name", ""))
            if draft.postcode:
                address: Any = ("postcode", draft.postcode)
                address_column = header("postcode")
            elif draft.point is not None:
                address, address_column = lookups.point_key(*draft.point), draft.location_column
            else:
                address, address_column = None, ""
            external_id = draft.values.get("external_id", "")

            if external_id and external_id in seen_external:
                draft.result.error(header("extern_id"), _("Same initiative as %(line_name)s %(line)d: the same "
                                                          "external id.")
                                   % {"line_name": line_name, "line": seen_external[external_id]})
                draft.skip = True
                continue
            if name and address is not None and (name, address) in seen_address:
                draft.result.error(header("naam"), _("Same initiative as %(line_name)s %(line)d: the same name and "
                                                     "%(address)s.")
                                   % {"line_name": line_name, "line": seen_address[(name, address)],
                                      "address": address_column})
                draft.skip = True
                continue
            if external_id:
                seen_external[external_id] = line
            if name and address is not None:
                seen_address[(name, address)] = line

            if external_id and external_id in self.index.by_external_id:
                candidates = [self.index.by_external_id[external_id]]
            else:
                # A row without an external id, or with one this source has not used yet: the record with
                # the same name and postcode (or point), unless that record has another id of this source.
                candidates = self.index.find(name, address, without_external_id=bool(external_id))
            if len(candidates) > 1:
                draft.result.error("", _("Matches %(count)d records (%(ids)s) with the same name and %(address)s: "
                                         "merge them first, or give the row an external id.")
                                   % {"count": len(candidates), "ids": ", ".join(f"#{pk}" for pk in candidates),
                                      "address": address_column})
                draft.skip = True
                continue
            if candidates:
                pk = candidates[0]
                if pk in seen_record:
                    draft.result.error("", _("Same initiative as %(line_name)s %(line)d: both match record "
                                             "#%(id)d.") % {"line_name": line_name, "line": seen_record[pk], "id": pk})
                    draft.skip = True
                    continue
                seen_record[pk] = line
                draft.match = pk

    # -- pass 2: build and validate -------------------------------------------------------------------------

    def _build(self, draft: _Draft, found: tuple[Initiative, dict[str, set[int]]] | None) -> _Plan | None:
        result, values, options = draft.result, draft.values, self.options
        if found is not None:
            record, current_links = found
            if not self.access.can_change(record):
                # Named no further: it may be a draft the importer may not see.
                result.error("", _("Matches a record that lies outside your region (%(region)s).")
                             % {"region": self.access.describe_region()})
                return None
            result.record_id, result.slug = record.pk, record.slug
            before = copy.copy(record)
            instance = record
        else:
            before, current_links = None, {name: set() for name in LINKS}
            instance = Initiative(publication_state=options.publication_state)

        for attribute, value in values.items():
            if attribute in LINKS or attribute == "last_verified_on":
                continue
            setattr(instance, "kind_id" if attribute == "kind" else attribute, value)
        verified = values.get("last_verified_on")
        if verified and (instance.last_verified_on is None or verified > instance.last_verified_on):
            # A date from the list never moves a verification back in time.
            instance.last_verified_on, instance.verification_method = verified, VerificationMethod.IMPORT
        if "status" in values and values["status"] != Status.STOPPED:
            # Active or paused again: the stop date and reason go, as actions.resume() does.
            instance.stopped_on = values.get("stopped_on")
            instance.stop_reason = values.get("stop_reason", "")
        if instance.source != options.source:
            if "external_id" not in values:
                instance.external_id = ""  # an external id belongs to the list it came from
            instance.source = options.source
        self._place(draft, instance, before)

        trusted = ["municipality", "province"]  # derived by the set-based rule, or from the stored record
        if instance.kind_id is not None:
            trusted.append("kind")  # a term from the vocabulary as loaded
        errors: dict[str, list[str]] = {}
        if before is not None and not result.errors and self._unchanged(before, instance, current_links, values):
            # The row says what the record already holds (its values normalised by the fields' own
            # rules): nothing to write, so nothing to validate further.
            result.outcome = UNCHANGED
            return None
        try:
            instance.full_clean(exclude=trusted, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.message_dict
        if not errors:
            try:
                self.access.check_place(instance)
            except ValidationError as error:
                errors = error.message_dict
        for attribute, messages in errors.items():
            if attribute in draft.failed:
                continue  # the cell's own error says it already
            for message in messages:
                result.error(self._column(attribute, draft), message)
        if result.errors:
            return None

        links = {}
        for name in LINKS:
            if name in values and set(values[name]) != current_links[name]:
                links[name] = list(values[name])
        fields = []
        if before is None:
            result.outcome = CREATED
            reason = Reasons.CREATED.text()
        else:
            changed = [a for a in COMPARED if not _same(getattr(before, a), getattr(instance, a))]
            fields = [Initiative._meta.get_field(a).name for a in changed]
            named = [a for a in changed if a not in FOLLOWING] or changed
            result.changed = list(dict.fromkeys([self._column(a, draft) for a in named]
                                                + [self.layout.header(BY_ATTRIBUTE[n].name) for n in links]))
            if not result.changed:
                result.outcome = UNCHANGED
                return None
            result.outcome = UPDATED
            reason = actions.describe_changes(before, instance)
            if reason == Reasons.EDITED.text():
                reason = Reasons.UPDATED.text(columns=", ".join(result.changed))
        return _Plan(result, instance, before, links,
                     fitted(Reasons.IMPORTED.text(source=options.source, change=reason)), fields)

    def _unchanged(self, before: Initiative, instance: Initiative, links: dict[str, set[int]],
                   values: dict[str, Any]) -> bool:
        try:
            instance.clean_fields(exclude=["municipality", "province", "kind"])
        except ValidationError:
            return False  # full_clean reports it
        return (all(_same(getattr(before, a), getattr(instance, a)) for a in COMPARED)
                and all(set(values[name]) == links[name] for name in LINKS if name in values))

    def _place(self, draft: _Draft, instance: Initiative, before: Initiative | None) -> None:
        """The point from the row (coordinates or geometry), else from the postcode as the model would
        take it; and the areas of the point, derived set-based beforehand."""
        chosen = None  # (lon, lat) of a new point: read from the row, not back from GEOS (which is slow)
        if draft.point is not None:
            point = Point(*draft.point, srid=4326)
            if instance.location is None or not instance.location.equals_exact(point, 1e-12):
                instance.location, instance.location_precision = point, LocationPrecision.EXACT
                chosen = draft.point
        elif draft.postcode_point is not None and (
                before is None or (before.location_precision == LocationPrecision.POSTCODE
                                   and before.postcode != draft.postcode)):
            instance.use_postcode_location(self._postcode_point(draft.postcode_point))
            chosen = draft.postcode_point
        if instance.location is None:
            return
        draft.location = chosen
        if (chosen is None and before is not None and before.municipality_id is not None
                and before.province_id is not None):  # (a municipality always has its province)
            instance.use_derived_areas(before.municipality_id, before.province_id)  # the point as stored
            return
        areas = self.areas.get(chosen) if chosen is not None else None
        if areas is not None:
            instance.use_derived_areas(*areas)
        # Otherwise (outside the Netherlands, or a point not looked up) the model derives and says why.

    def _postcode_point(self, point: tuple[float, float]) -> Point:
        """A copy of the point of a postcode area (a list repeats postcodes; copying beats building)."""
        made = self._points.get(point)
        if made is None:
            made = self._points[point] = Point(*point, srid=4326)
        return made.clone()

    def _column(self, attribute: str, draft: _Draft) -> str:
        """The column (as the file names it) that an error or change of a model field is about."""
        header = self.layout.header
        if attribute in ("location", "location_precision", "municipality", "municipality_id", "province",
                         "province_id"):
            if draft.point is not None or "location" in draft.failed:
                return draft.location_column
            return header("postcode")
        if attribute == NON_FIELD_ERRORS:
            return ""
        if attribute == "source":
            return _("source")
        if attribute in ("kind_id", "verification_method"):
            attribute = {"kind_id": "kind", "verification_method": "last_verified_on"}[attribute]
        column = BY_ATTRIBUTE.get(attribute)
        return header(column.name) if column else attribute

    def _warn_similar(self, created: list[tuple[int, _Draft, Initiative]]) -> None:
        # The rows to be created that the duplicate search (registry.duplicates) pairs with a stored record.
        similar = duplicates.matches_for([instance for _number, _draft, instance in created])
        # Only records the importer may see are named (not a draft of another region).
        found = {match.second_id for matches in similar for match in matches}
        visible = set(self.access.initiatives().filter(pk__in=found).values_list("pk", flat=True))
        for (_number, draft, _instance), matches in zip(created, similar, strict=True):
            for match in [m for m in matches if m.second_id in visible][:SIMILAR_PER_ROW]:
                other = match.other
                assert other is not None  # matches_for names the stored record
                draft.result.warnings.append(Message(
                    self.layout.header("naam"),
                    _("Possibly the same initiative as “%(name)s” (#%(id)d, %(distance)d m away; %(reasons)s): "
                      "check before publishing.") % {"name": other.name, "id": other.pk,
                                                     "distance": round(match.distance_m),
                                                     "reasons": duplicates.explain(match.reasons)}))

    # -- commit ------------------------------------------------------------------------------------------

    def save(self, plans: list[_Plan]) -> None:
        """Write every plan at once, then apply the effects of saving (registry.saving) to all of them,
        as actions.save_edit does for one record. Who may write what was checked per row (the role,
        the region of the stored and of the new location)."""
        now = timezone.now()
        created = [plan for plan in plans if plan.before is None]
        updated = [plan for plan in plans if plan.before is not None]
        self.progress("saving", 0, len(plans))
        taken = {*Initiative.objects.values_list("slug", flat=True), *SlugAlias.objects.values_list("slug", flat=True)}
        for plan in created:
            plan.instance.slug = first_free_slug(slug_base(plan.instance.name, "initiatief"), taken)
            taken.add(plan.instance.slug)
        Initiative.objects.bulk_create([plan.instance for plan in created], batch_size=1000)
        fields = sorted({name for plan in updated for name in plan.fields} | {"updated_at"})
        for plan in updated:
            plan.instance.updated_at = now
        Initiative.objects.bulk_update([plan.instance for plan in updated], fields, batch_size=BATCH // 5)
        _store_links(plans)
        self.progress("saving", len(plans) // 2, len(plans))
        for plan in plans:
            plan.result.record_id, plan.result.slug = plan.instance.pk, plan.instance.slug
        after_saving([Saved(plan.instance.pk, plan.reason, created=plan.before is None,
                            renamed_or_moved=plan.before is None or bool({"name", "location"} & set(plan.fields)))
                      for plan in plans], acting_user=self.acting_user, when=now)
        self.progress("saving", len(plans), len(plans))

    def failed(self, error: Exception) -> None:
        """Saving failed (the database refused, e.g. because the register changed since the check):
        nothing was written, and the report says so."""
        if isinstance(error, ValidationError):
            text = "; ".join(error.messages)
        else:
            text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        for row in self.report.rows:
            if row.outcome == CREATED:
                row.record_id, row.slug = None, ""
        self.report.file_errors.append(_("Nothing was written: saving failed (%(error)s).") % {"error": text})
        self.report.committed = False


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Point) and isinstance(new, Point):
        return old.equals_exact(new, 1e-12)
    return old == new


def _store_links(plans: list[_Plan]) -> None:
    """The services and funding sources that change, in bulk: the old links of a changed set go."""
    with connection.cursor() as cursor:
        for name, target in LINK_TABLES:
            table = getattr(Initiative, name).through._meta.db_table
            replaced = [plan.instance.pk for plan in plans if plan.before is not None and name in plan.links]
            if replaced:
                cursor.execute(f"DELETE FROM {table} WHERE initiative_id = ANY(%s)", [replaced])
            pairs = [(plan.instance.pk, term) for plan in plans for term in plan.links.get(name, [])]
            if pairs:
                cursor.execute(f"INSERT INTO {table} (initiative_id, {target}) "
                               f"SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
                               [[pk for pk, _term in pairs], [term for _pk, term in pairs]])


__all__ = ["ERROR", "MAX_UPLOAD_BYTES", "UNCHANGED", "ImportOptions", "Layout", "Report", "check", "commit"]
