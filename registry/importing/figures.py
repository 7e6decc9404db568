"""Importing a yearly-figures file (CSV or XLSX, as the lists of initiatives: registry.importing.reading):
one row per initiative and year, the initiative by its external id or by name + postcode.

    report = check_figures(content, "cijfers-2025.csv", acting_user=user)    # writes nothing
    report = commit_figures(content, "cijfers-2025.csv", acting_user=user)   # all rows or none

A column the template does not know refuses the whole file (a figures file is too easily misread to
skip a column silently); so does a file without the year or a way to find the initiative. Each row is
read, matched and validated by the model (YearlyFigures.full_clean) with the importing user's role and
region; the report names the row and the column of every error. A row for a year the initiative already
has figures for updates them (importing a file again changes nothing). Nothing is written on a dry run
or when any row has an error; the commit saves every row through registry.actions.save_figures_many,
the same path as one record in the admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from geo.postcodes import InvalidPostcode, normalise_postcode
from registry import actions
from registry.figures import same_value
from registry.history import Reasons
from registry.importing.columns import fold
from registry.importing.reading import FileProblem, read
from registry.importing.report import CREATED, UNCHANGED, UPDATED, Report, RowResult
from registry.importing.values import CellError, Terms, integer
from registry.models import ConsentOrigin, Initiative, Partner, Premises, YearlyFigures
from registry.roles import NotAllowed, access_for


@dataclass(frozen=True)
class FigureColumn:
    name: str  # the Dutch header of the template
    attribute: str
    kind: str  # text, integer, euros, decimal, premises, yesno, partner
    aliases: tuple[str, ...] = ()


FIGURE_COLUMNS: tuple[FigureColumn, ...] = (
    FigureColumn("extern_id", "external_id", "text", ("external_id", "externe_id")),
    FigureColumn("naam", "name", "text", ("name",)),
    FigureColumn("postcode", "postcode", "text", ("postal_code",)),
    FigureColumn("jaar", "year", "integer", ("year", "boekjaar")),
    FigureColumn("subsidie", "income_subsidy", "euros", ("subsidy", "subsidies")),
    FigureColumn("opdrachten", "income_commissions", "euros", ("commissions",)),
    FigureColumn("opdrachtgever", "commissioning_partner", "partner", ("commissioning_partner",)),
    FigureColumn("fondsen", "income_funds", "euros", ("vermogensfondsen", "charitable_funds", "funds")),
    FigureColumn("crowdfunding", "income_crowdfunding", "euros"),
    FigureColumn("leningen", "income_loans", "euros", ("lening", "loans")),
    FigureColumn("eigen_inkomsten", "income_own", "euros", ("own_income",)),
    FigureColumn("contributie", "income_membership", "euros", ("membership_fees", "contributies")),
    FigureColumn("donaties", "income_donations", "euros", ("donations",)),
    FigureColumn("partnerschappen", "income_partnerships", "euros", ("partnerschap", "partnerships")),
    FigureColumn("uitgaven", "expenses", "euros", ("expenses", "totale_uitgaven")),
    FigureColumn("vrijwilligers", "volunteers", "integer", ("volunteers",)),
    FigureColumn("betaalde_fte", "paid_staff_fte", "decimal", ("paid_staff_fte", "fte")),
    FigureColumn("bereik", "people_reached", "integer", ("people_reached", "bereik_per_jaar")),
    FigureColumn("werkplekken", "work_places", "integer", ("work_places", "leerwerkplekken")),
    FigureColumn("leden", "members", "integer", ("members",)),
    FigureColumn("aandeel_huishoudens", "household_share", "decimal", ("household_share",)),
    FigureColumn("huisvesting", "premises", "premises", ("premises",)),
    FigureColumn("toestemming", "public", "yesno", ("consent", "publiceren")),
    FigureColumn("bron", "source", "text", ("source",)),
)
_BY_FOLDED = {fold(name): column for column in FIGURE_COLUMNS for name in (column.name, *column.aliases)}
_YES = {"ja", "j", "yes", "y", "1", "true", "waar", "x"}
_NO = {"nee", "n", "no", "0", "false", "onwaar", ""}
_DUTCH_THOUSANDS = re.compile(r"^-?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_PLAIN = re.compile(r"^-?\d+(?:[.,]\d+)?$")
# What is not read from a cell but found: the initiative.
_MATCHING = ("external_id", "name", "postcode")


def euros(text: str) -> int:
    """An amount in whole euros: `12000`, `12.000` (Dutch thousands), `€ 12.000,50`, `12000.50`
    (rounded); a minus sign is read, so that the model can say a negative amount is wrong."""
    compact = re.sub(r"[\s\u00a0€]|EUR", "", text)
    if _DUTCH_THOUSANDS.match(compact):
        compact = compact.replace(".", "").replace(",", ".")
    elif _PLAIN.match(compact):
        compact = compact.replace(",", ".")
    else:
        raise CellError(_("“%(value)s” is not an amount in euros (like 12000 or 12.000).") % {"value": text})
    return int(Decimal(compact).quantize(Decimal(1)))


def decimal(text: str) -> Decimal:
    compact = text.replace("\u00a0", "").replace("%", "").strip().replace(",", ".")
    try:
        return Decimal(compact)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number (like 1,6 or 1.6).") % {"value": text}) from None


def yes_or_no(text: str) -> bool:
    folded = text.strip().casefold()
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise CellError(_("“%(value)s” is not yes or no (ja/nee).") % {"value": text})


class _FiguresImport:
    def __init__(self, content: bytes, file_name: str, acting_user: User) -> None:
        self.content, self.file_name, self.acting_user = content, file_name, acting_user
        self.access = access_for(acting_user)
        self.report = Report(file_name=file_name, source=file_name)
        self.records: list[YearlyFigures] = []

    def run(self) -> Report:
        try:
            table = read(self.content, self.file_name)
        except FileProblem as problem:
            self.report.file_errors.append(str(problem))
            return self.report
        if table.format not in ("csv", "xlsx"):
            self.report.file_errors.append(_("A figures file is a CSV or XLSX file."))
            return self.report
        self.report.format, self.report.line_label = table.format, table.line_label
        columns: list[FigureColumn | None] = []
        unknown = []
        for header in table.headers:
            column = _BY_FOLDED.get(fold(header)) if header.strip() else None
            if column is None and header.strip():
                unknown.append(header)
            columns.append(column)
        if unknown:
            self.report.file_errors.append(
                _("Unknown columns: %(headers)s. A figures file has the columns %(known)s (or their English names).")
                % {"headers": ", ".join(f"“{header}”" for header in unknown),
                   "known": ", ".join(column.name for column in FIGURE_COLUMNS)})
        present = {column.attribute for column in columns if column is not None}
        if "year" not in present:
            self.report.file_errors.append(_("The column “jaar” (year) is missing."))
        if "external_id" not in present and not {"name", "postcode"} <= present:
            self.report.file_errors.append(_("The initiative cannot be found: give the column “extern_id”, or "
                                             "both “naam” and “postcode”."))
        if self.report.file_errors:
            return self.report
        headers = {column.attribute: header for column, header in zip(columns, table.headers, strict=True)
                   if column is not None}
        partners = Terms((partner.pk, partner.slug, [partner.name]) for partner in Partner.objects.all())
        premises = Terms.of_choices(Premises)
        rows: list[tuple[RowResult, dict[str, Any]]] = []
        for source_row in table.rows:
            result = RowResult(line=source_row.line)
            self.report.rows.append(result)
            values: dict[str, Any] = {}
            if source_row.problem:
                result.error(source_row.problem_column, source_row.problem)
                continue
            for column, text in zip(columns, source_row.cells, strict=False):
                if column is None or not text.strip():
                    continue
                try:
                    values[column.attribute] = self._cell(column, text.strip(), partners, premises)
                except CellError as error:
                    result.error(headers[column.attribute], str(error))
            rows.append((result, values))
        self._match(rows, headers)
        seen: dict[tuple[int, int], int] = {}
        for result, values in rows:
            initiative = values.get("initiative")
            if initiative is None:
                continue  # the match said why
            if "year" not in values:
                if not any(message.column == headers["year"] for message in result.errors):
                    result.error(headers["year"], _("The year is missing."))
                continue
            key = (initiative.pk, values["year"])
            if key in seen:
                result.error(headers["year"], _("%(name)s has figures for %(year)s on %(label)s %(line)s already.")
                             % {"name": initiative.name, "year": values["year"], "label": self.report.line_name,
                                "line": seen[key]})
                continue
            seen[key] = result.line
            self._build(result, values, headers)
        return self.report

    def _cell(self, column: FigureColumn, text: str, partners: Terms, premises: Terms) -> Any:
        if column.kind == "integer":
            return integer(text)
        if column.kind == "euros":
            return euros(text)
        if column.kind == "decimal":
            return decimal(text)
        if column.kind == "yesno":
            return yes_or_no(text)
        if column.kind == "premises":
            return premises.get(text)
        if column.kind == "partner":
            try:
                return partners.get(text)
            except CellError:  # not every partner of the register named in the message
                raise CellError(_("“%(value)s” is not a partner in the register: give its slug or its name.")
                                % {"value": text}) from None
        if column.attribute == "postcode":
            try:
                return normalise_postcode(text, allow_pc4=True)
            except InvalidPostcode as error:
                raise CellError(str(error)) from None
        return text

    def _match(self, rows: list[tuple[RowResult, dict[str, Any]]], headers: dict[str, str]) -> None:
        """Find each row's initiative (one query for the whole file), among those the user may change."""
        external = {values["external_id"] for _result, values in rows if "external_id" in values}
        named = {(values["name"].casefold(), values["postcode"]) for _result, values in rows
                 if "external_id" not in values and "name" in values and "postcode" in values}
        condition = Q(external_id__in=external)
        for name, postcode in named:
            condition |= Q(lower_name=name, postcode=postcode)
        found = list(Initiative.objects.annotate(lower_name=Lower("name")).filter(condition)
                     .only("pk", "name", "postcode", "external_id", "founded_year", "municipality_id",
                           "province_id"))
        by_external: dict[str, list[Initiative]] = {}
        by_name: dict[tuple[str, str], list[Initiative]] = {}
        for initiative in found:
            by_external.setdefault(initiative.external_id, []).append(initiative)
            by_name.setdefault((initiative.name.casefold(), initiative.postcode), []).append(initiative)
        for result, values in rows:
            if "external_id" in values:
                candidates, column = by_external.get(values["external_id"], []), headers["external_id"]
                what = _("external id “%(id)s”") % {"id": values["external_id"]}
            elif "name" in values and "postcode" in values:
                candidates = by_name.get((values["name"].casefold(), values["postcode"]), [])
                column = headers["name"]
                what = _("name “%(name)s” and postcode %(postcode)s") % values
            else:
                result.error("", _("This row names no initiative: fill in the external id, or the name and postcode."))
                continue
            if not candidates:
                result.error(column, _("No initiative in the register has the %(what)s.") % {"what": what})
            elif len(candidates) > 1:
                result.error(column, _("%(count)d initiatives have the %(what)s: name it by its external id.")
                             % {"count": len(candidates), "what": what})
            elif not self.access.can_change(candidates[0]):
                result.error(column, _("“%(name)s” lies outside your region (%(region)s).")
                             % {"name": candidates[0].name, "region": self.access.describe_region()})
            else:
                values["initiative"] = candidates[0]
                result.name, result.record_id = candidates[0].name, candidates[0].pk

    def _build(self, result: RowResult, values: dict[str, Any], headers: dict[str, str]) -> None:
        initiative: Initiative = values["initiative"]
        record = (YearlyFigures.objects.filter(initiative=initiative, year=values["year"]).first()
                  or YearlyFigures(initiative=initiative, source=self.file_name))
        record.initiative = initiative
        before = {name: getattr(record, name) for name in _COMPARED} if record.pk else None
        for name, value in values.items():
            if name in _MATCHING or name == "initiative":
                continue
            if name == "commissioning_partner":
                record.commissioning_partner_id = value
            else:
                setattr(record, name, value)
        try:
            record.full_clean()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                column = headers.get(field, "") if field != NON_FIELD_ERRORS else ""
                for message in messages:
                    result.error(column, message)
            return
        if result.errors:
            return  # a cell that could not be read
        if before is None:
            result.outcome = CREATED
        else:
            changed = [headers.get(name, name) for name in _COMPARED
                       if not same_value(before[name], getattr(record, name))]
            result.outcome, result.changed = (UPDATED, changed) if changed else (UNCHANGED, [])
        if result.outcome != UNCHANGED:
            self.records.append(record)


_COMPARED = [column.attribute if column.attribute != "commissioning_partner" else "commissioning_partner_id"
             for column in FIGURE_COLUMNS if column.attribute not in _MATCHING]


def check_figures(content: bytes, file_name: str, *, acting_user: User) -> Report:
    """The report of importing a figures file as `acting_user`, without writing anything."""
    access_for(acting_user).require_write()
    importer = _FiguresImport(content, file_name, acting_user)
    report = importer.run()
    report.checked_by = acting_user.get_username()
    return report


def commit_figures(content: bytes, file_name: str, *, acting_user: User) -> Report:
    """Check again and, when no row has an error, save every new or changed row, all or nothing."""
    access_for(acting_user).require_write()
    importer = _FiguresImport(content, file_name, acting_user)
    try:
        with transaction.atomic():
            report = importer.run()
            report.checked_by = acting_user.get_username()
            if report.has_errors:
                return report
            actions.save_figures_many(importer.records, acting_user=acting_user, origin=ConsentOrigin.IMPORT,
                                      reason=Reasons.FIGURES_IMPORTED.text(file=file_name))
            report.committed = True
    except (ValidationError, NotAllowed) as error:
        report = importer.report
        report.committed = False
        report.file_errors.append(_("Nothing was written: %(reason)s") % {"reason": " ".join(
            error.messages if isinstance(error, ValidationError) else [str(error)])})
    return report
