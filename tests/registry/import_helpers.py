"""What the import tests share: users with roles, files written in the test, and the state of the
register to prove that nothing was written."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection

from registry.models import DuplicateCandidate, Initiative, Partnership, Role, SlugAlias
from tests.maintainers import maintainer

HEADER = ["extern_id", "naam", "soort", "voorzieningen", "postcode", "plaats", "breedtegraad", "lengtegraad",
          "financiering", "telefoon"]
GOOD_ROWS = [
    ["L-1", "Buurtkamer De Linde", "bewonersinitiatief", "Ontmoetingsplek|community restaurant", "2311 CS",
     "Leiden", "52,1601", "4,4970", "subsidie; Donations", "071 123 4567"],
    ["L-2", "Dorpscoöperatie Oosterend", "Village cooperative", "winkel", "9951", "Winsum", "", "",
     "Eigen inkomsten", ""],
    ["L-3", "Energiecoöperatie Utrecht", "BUURTCOÖPERATIE", "energie", "", "Utrecht", "52.0907", "5.1214", "", ""],
]


def make_user(username: str, role: str | None = None, provinces: tuple[str, ...] = (), *,
              superuser: bool = False) -> Any:
    if role is not None:
        return maintainer(username, role, *provinces)
    return get_user_model().objects.create_user(username, password="secret-pw-1", is_staff=True,
                                                is_superuser=superuser)


def administrator() -> Any:
    return make_user("beheerder", Role.ADMINISTRATOR)


def editor(province: str = "PV28", username: str = "redacteur") -> Any:
    """A regional editor; Zuid-Holland (PV28) holds Leiden, Utrecht (PV26) holds Utrecht."""
    return make_user(username, Role.EDITOR, (province,))


def csv_bytes(rows: list[list[str]], header: list[str] | None = None, delimiter: str = ";",
              encoding: str = "utf-8") -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return stream.getvalue().encode(encoding)


def register_state() -> dict[str, Any]:
    """Counts of everything an import could write, and the latest change: equal before and after
    means the register is unchanged."""
    history = Initiative.history.model
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(updated_at) FROM registry_initiative")
        latest = cursor.fetchone()[0]
    return {
        "initiatives": Initiative.objects.count(),
        "history": history.objects.count(),
        "history links": history.services.model.objects.count() + history.funding_sources.model.objects.count(),
        "services": Initiative.services.through.objects.count(),
        "funding": Initiative.funding_sources.through.objects.count(),
        "partnerships": Partnership.objects.count(),
        "slug aliases": SlugAlias.objects.count(),
        "duplicate candidates": DuplicateCandidate.objects.count(),
        "latest update": latest,
    }


def outcomes(report: Any) -> list[tuple[int, str]]:
    return [(row.line, row.outcome) for row in report.rows]


def errors(report: Any) -> list[tuple[int, str, str]]:
    """(line, column, message) of every row error."""
    return [(row.line, message.column, message.text) for row in report.rows for message in row.errors]
