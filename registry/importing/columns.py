"""The import template: which columns a list may have, the names they go by, and how a file's
header is matched to them (docs/import.md describes the same template for people).

A header matches a column when it equals the column's Dutch name or one of its aliases after
folding: case, accents, spaces, underscores, hyphens and dots do not count (`KvK-nummer`,
`kvk_nummer` and `KVK nummer` are all `kvk`). An explicit mapping (`--map "Naam organisatie=naam"`)
comes first; a mapping to nothing (`--map "Opmerkingen="`) ignores a column without a notice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Column:
    name: str  # the canonical (Dutch) header of the template
    attribute: str  # the model attribute it fills; "latitude"/"longitude" make the point together
    kind: str  # how a cell is read: text, integer, date, coordinate, kind, services, funding, choice
    aliases: tuple[str, ...] = ()
    example: tuple[str, str] = ("", "")  # two example rows for the template file


COLUMNS: tuple[Column, ...] = (
    Column("extern_id", "external_id", "text", ("external_id", "externe_id", "extern_nummer"), ("A-001", "A-002")),
    Column("naam", "name", "text", ("name", "naam_initiatief"), ("Buurtkamer De Linde", "Dorpswinkel Oosterend")),
    Column("soort", "kind", "kind", ("kind", "type_initiatief"), ("bewonersinitiatief", "Dorpscoöperatie")),
    Column("voorzieningen", "services", "services", ("services", "voorziening", "diensten"),
           ("ontmoetingsplek|wijkrestaurant", "Dorps- of buurtwinkel")),
    Column("korte_omschrijving", "short_description", "text", ("short_description", "samenvatting"),
           ("Huiskamer voor de buurt.", "")),
    Column("omschrijving", "description", "text", ("description", "beschrijving"), ("", "")),
    Column("rechtsvorm", "legal_form", "choice", ("legal_form",), ("stichting", "coöperatie")),
    Column("kvk", "kvk_number", "text", ("kvk_nummer", "kvk_number", "kvknr"), ("12345678", "")),
    Column("opgericht", "founded_year", "integer", ("founded_year", "oprichtingsjaar", "founded"), ("2015", "2019")),
    Column("status", "status", "choice", (), ("actief", "active")),
    Column("gestopt_op", "stopped_on", "date", ("stopped_on", "stopdatum"), ("", "")),
    Column("reden_stoppen", "stop_reason", "choice", ("stop_reason", "stopreden"), ("", "")),
    Column("straat", "street", "text", ("street", "straatnaam"), ("Breestraat", "")),
    Column("huisnummer", "house_number", "text", ("house_number",), ("1", "")),
    Column("postcode", "postcode", "text", ("postal_code", "zip"), ("2311 CS", "9951")),
    Column("plaats", "place", "text", ("place", "woonplaats", "city"), ("Leiden", "Winsum")),
    Column("breedtegraad", "latitude", "coordinate", ("lat", "latitude"), ("52,1601", "")),
    Column("lengtegraad", "longitude", "coordinate", ("lon", "lng", "long", "longitude"), ("4,4970", "")),
    Column("website", "website", "text", ("url", "webadres", "web_address"), ("https://linde.example", "")),
    Column("email", "email", "text", ("e-mail", "emailadres", "e_mail_adres"), ("info@linde.example", "")),
    Column("telefoon", "phone", "text", ("phone", "telefoonnummer", "phone_number"), ("071 123 4567", "")),
    Column("financiering", "funding_sources", "funding", ("funding_sources", "funding", "verdienmodel"),
           ("subsidie|donaties", "Own income (sales, rent, catering)")),
    Column("vrijwilligers", "volunteers", "integer", ("volunteers",), ("12", "30")),
    Column("betaalde_krachten", "paid_staff", "integer", ("paid_staff", "betaalde_medewerkers"), ("1", "0")),
    Column("bereik_per_week", "reach_per_week", "integer", ("reach_per_week", "bereik"), ("80", "")),
    Column("publicatiestatus", "publication_state", "choice", ("publication_state",), ("", "")),
    Column("bron_url", "source_url", "text", ("source_url", "bron_adres"), ("", "")),
    Column("laatst_gecontroleerd", "last_verified_on", "date", ("last_verified_on", "gecontroleerd_op"),
           ("2026-03-01", "")),
)

BY_NAME = {column.name: column for column in COLUMNS}
BY_ATTRIBUTE = {column.attribute: column for column in COLUMNS}

# What every file needs: a name and a kind, and a place (both coordinates, or a postcode). A
# GeoJSON file's geometry is its coordinates.
REQUIRED = ("naam", "soort")
COORDINATES = ("breedtegraad", "lengtegraad")


def fold(text: str) -> str:
    """A header as it is compared: lower case, no accents, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]", "", plain.casefold())


_BY_FOLDED: dict[str, Column] = {}
for _column in COLUMNS:
    for _name in (_column.name, *_column.aliases):
        _BY_FOLDED.setdefault(fold(_name), _column)


def column_for(header: str) -> Column | None:
    return _BY_FOLDED.get(fold(header))


def described(name: str) -> str:
    """`naam (name, naam_initiatief)`: a column with its accepted other names."""
    column = BY_NAME[name]
    return f"{column.name} ({', '.join(column.aliases)})" if column.aliases else column.name


class MappingError(ValueError):
    """A mapping that cannot be used; the message says why."""


def parse_mapping(lines: list[str] | str) -> dict[str, str]:
    """`Header in file=template column` entries (a list, or text with one per line) as a dict from
    the file's header to the template column's name ("" to ignore the column)."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    mapping: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        if "=" not in line:
            raise MappingError(_("“%(entry)s” is not a mapping: write it as “column in the file=template column”, "
                                 "e.g. “Naam organisatie=naam”.") % {"entry": line.strip()})
        header, _sep, target = line.rpartition("=")
        if not header.strip():
            raise MappingError(_("“%(entry)s” names no column of the file.") % {"entry": line.strip()})
        if target.strip():
            column = column_for(target)
            if column is None:
                raise MappingError(_("“%(target)s” is not a column of the template; use one of: %(columns)s.")
                                   % {"target": target.strip(), "columns": ", ".join(c.name for c in COLUMNS)})
            mapping[header.strip()] = column.name
        else:
            mapping[header.strip()] = ""
    return mapping


@dataclass
class Layout:
    """Which position of a row fills which template column, and what the header said."""

    positions: dict[str, int] = field(default_factory=dict)  # template column name -> index in the row
    headers: dict[str, str] = field(default_factory=dict)  # template column name -> header as in the file
    ignored: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        """The name to show for a template column: the file's own header when it has one."""
        return self.headers.get(name, name)


def layout(headers: list[str], mapping: dict[str, str], *, has_geometry: bool = False) -> Layout:
    """Match a file's header row to the template (file-level errors and notices in the result)."""
    result = Layout()
    folded_headers = {fold(h) for h in headers if h.strip()}
    folded_mapping = {fold(header): target for header, target in mapping.items()}
    for header in mapping:
        if fold(header) not in folded_headers:
            result.errors.append(_("The mapping names the column “%(column)s”, which the file does not have "
                                   "(it has: %(headers)s).")
                                 % {"column": header, "headers": ", ".join(h for h in headers if h.strip())})
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        folded = fold(header)
        if folded in folded_mapping:
            name = folded_mapping[folded]
            if not name:
                continue
        else:
            column = column_for(header)
            if column is None:
                result.ignored.append(header.strip())
                continue
            name = column.name
        if name in result.positions:
            result.errors.append(_("The columns “%(first)s” and “%(second)s” both give %(column)s; keep one, or "
                                   "map one of them to another column or to nothing.")
                                 % {"first": result.headers[name], "second": header.strip(), "column": name})
            continue
        result.positions[name] = index
        result.headers[name] = header.strip()

    missing = [described(name) for name in REQUIRED if name not in result.positions]
    if missing:
        result.errors.append(_("Required columns are missing: %(columns)s.") % {"columns": "; ".join(missing)})
    has_coordinates = all(name in result.positions for name in COORDINATES)
    one_coordinate = [name for name in COORDINATES if name in result.positions]
    if len(one_coordinate) == 1:
        other = next(name for name in COORDINATES if name not in result.positions)
        result.errors.append(_("The column %(present)s needs its partner %(missing)s: a point takes both "
                               "coordinates.") % {"present": result.header(one_coordinate[0]),
                                                  "missing": described(other)})
    elif not (has_coordinates or has_geometry or "postcode" in result.positions):
        result.errors.append(_("A location is missing: give the columns %(lat)s and %(lon)s, or %(postcode)s.")
                             % {"lat": described("breedtegraad"), "lon": described("lengtegraad"),
                                "postcode": described("postcode")})
    return result
