"""Importing a yearly-figures file (registry/importing/figures.py): the initiative by external id or by
name + postcode; every error names the row and the column; unknown initiatives or columns are refused;
nothing is half-saved; importing again changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from registry.importing.figures import check_figures, commit_figures
from registry.models import ConsentOrigin, Initiative, Partner, PartnerKind, YearlyFigures
from tests.conftest import make
from tests.maintainers import administrator, editor
from tests.registry.import_helpers import csv_bytes, errors, outcomes

THIS_YEAR = timezone.localdate().year
HEADER = ["extern_id", "naam", "postcode", "jaar", "subsidie", "opdrachten", "opdrachtgever", "eigen_inkomsten",
          "uitgaven", "vrijwilligers", "betaalde_fte", "aandeel_huishoudens", "huisvesting", "toestemming"]


@pytest.fixture
def linde(leiden):
    Initiative.objects.filter(pk=leiden.pk).update(external_id="L-1", source="Lijst 2026")
    return Initiative.objects.get(pk=leiden.pk)


@pytest.fixture
def municipality_partner(db):
    return Partner.objects.create(name="Gemeente Leiden", slug="gemeente-leiden",
                                  kind=PartnerKind.objects.get(code="overig"))


def state() -> tuple:
    return (YearlyFigures.objects.count(), YearlyFigures.history.count(),
            list(YearlyFigures.objects.order_by("pk").values_list("year", "income_subsidy", "public")))


GOOD = [
    ["L-1", "", "", "2024", "12.000", "€ 8.000,40", "gemeente-leiden", "2500", "21000", "14", "1,6", "", "huur", "ja"],
    ["", "Energiecoöperatie Utrecht", "3511 AA", "2025", "500", "", "", "", "", "", "", "12,5", "Eigendom", "nee"],
]


def test_it_creates_figures_matched_by_external_id_or_by_name_and_postcode(linde, utrecht, municipality_partner):
    Initiative.objects.filter(pk=utrecht.pk).update(postcode="3511 AA")
    user = administrator()

    report = commit_figures(csv_bytes(GOOD, HEADER), "cijfers.csv", acting_user=user)

    assert (report.committed, errors(report), outcomes(report)) == (True, [], [(2, "created"), (3, "created")])
    first = YearlyFigures.objects.get(initiative=linde)
    assert (first.year, first.income_subsidy, first.income_commissions, first.commissioning_partner,
            first.income_own, first.expenses, first.volunteers, first.paid_staff_fte, first.premises,
            first.public) == (2024, 12000, 8000, municipality_partner, 2500, 21000, 14, Decimal("1.60"), "huur", True)
    assert (first.consent_recorded_by, first.consent_origin, first.source) == (user, ConsentOrigin.IMPORT,
                                                                              "cijfers.csv")
    second = YearlyFigures.objects.get(initiative=utrecht)
    assert (second.year, second.income_subsidy, second.household_share, second.premises, second.public) == (
        2025, 500, Decimal("12.5"), "eigendom", False)
    assert list(first.history.values_list("history_type", "history_user__username", "history_change_reason")) == [
        ("+", "beheerder", "figures import (cijfers.csv)")]


def test_a_dry_run_reports_the_same_and_writes_nothing_and_a_second_import_changes_nothing(linde, utrecht,
                                                                                            municipality_partner):
    Initiative.objects.filter(pk=utrecht.pk).update(postcode="3511 AA")
    user = administrator()
    content = csv_bytes(GOOD, HEADER)

    checked = check_figures(content, "cijfers.csv", acting_user=user)
    assert (outcomes(checked), state()) == ([(2, "created"), (3, "created")], (0, 0, []))

    commit_figures(content, "cijfers.csv", acting_user=user)
    before = state()
    again = commit_figures(content, "cijfers.csv", acting_user=user)
    assert (outcomes(again), state()) == ([(2, "unchanged"), (3, "unchanged")], before)

    changed = [list(GOOD[0]), GOOD[1]]
    changed[0][4] = "13000"
    updated = commit_figures(csv_bytes(changed, HEADER), "cijfers.csv", acting_user=user)
    assert [(row.outcome, row.changed) for row in updated.rows] == [("updated", ["subsidie"]), ("unchanged", [])]
    assert YearlyFigures.objects.get(initiative=linde).income_subsidy == 13000


def test_unknown_columns_refuse_the_whole_file_naming_them(linde):
    content = csv_bytes([["L-1", "2024", "100", "x"]], ["extern_id", "jaar", "subsidie", "Opmerkingen"])

    report = commit_figures(content, "cijfers.csv", acting_user=administrator())

    assert report.file_errors == [
        "Onbekende kolommen: “Opmerkingen”. Een cijferbestand heeft de kolommen extern_id, naam, postcode, jaar, "
        "subsidie, opdrachten, opdrachtgever, fondsen, crowdfunding, leningen, eigen_inkomsten, contributie, "
        "donaties, partnerschappen, uitgaven, vrijwilligers, betaalde_fte, bereik, werkplekken, leden, "
        "aandeel_huishoudens, huisvesting, toestemming, bron (of hun Engelse namen)."]
    assert (report.committed, state()) == (False, (0, 0, []))


def test_a_file_without_a_year_or_a_way_to_find_the_initiative_is_refused(linde):
    report = check_figures(csv_bytes([["Linde", "100"]], ["naam", "subsidie"]), "c.csv", acting_user=administrator())

    assert report.file_errors == [
        "De kolom “jaar” ontbreekt.",
        "Het initiatief is niet te vinden: geef de kolom “extern_id”, of zowel “naam” als “postcode”."]


def test_every_error_names_its_row_and_column_and_nothing_is_half_saved(linde, municipality_partner):
    rows = [
        ["L-1", "", "", "2024", "1000", "", "", "", "", "", "", "", "", "ja"],  # good
        ["L-404", "", "", "2024", "1000", "", "", "", "", "", "", "", "", ""],  # unknown initiative
        ["", "Nergens", "1234 AB", "2024", "1000", "", "", "", "", "", "", "", "", ""],  # unknown by name
        ["L-1", "", "", "2023", "-500", "", "", "", "", "", "", "", "", ""],  # negative
        ["L-1", "", "", str(THIS_YEAR + 1), "", "", "", "", "", "", "", "", "", ""],  # future
        ["L-1", "", "", "2014", "", "", "", "", "", "", "", "", "", ""],  # before founding (2015)
        ["L-1", "", "", "2024", "5", "", "", "", "", "", "", "", "", ""],  # second row for 2024
        ["L-1", "", "", "2022", "veel", "", "onbekend-fonds", "", "", "", "", "120", "kasteel", "misschien"],
        ["L-1", "", "", "", "5", "", "", "", "", "", "", "", "", ""],  # no year
    ]

    report = commit_figures(csv_bytes(rows, HEADER), "cijfers.csv", acting_user=administrator())

    assert errors(report) == [
        (3, "extern_id", "Geen initiatief in het register heeft extern id “L-404”."),
        (4, "naam", "Geen initiatief in het register heeft naam “Nergens” en postcode 1234 AB."),
        (5, "subsidie", "Een bedrag kan niet negatief zijn (-500); vul 0 in voor geen."),
        (6, "jaar", f"{THIS_YEAR + 1} ligt in de toekomst: cijfers gaan over dit jaar ({THIS_YEAR}) of eerder."),
        (7, "jaar", "2014 ligt vóór de oprichting van het initiatief (2015)."),
        (8, "jaar", "Buurtkamer De Linde heeft al cijfers over 2024 op regel 2."),
        (9, "subsidie", "“veel” is geen bedrag in euro’s (zoals 12000 of 12.000)."),
        (9, "opdrachtgever", "“onbekend-fonds” is geen partner in het register: geef zijn slug of zijn naam."),
        (9, "huisvesting", "“kasteel” is geen bekende waarde; gebruik een van de codes eigendom, huur, om-niet, geen "
                           "(of hun Nederlandse of Engelse naam)."),
        (9, "toestemming", "“misschien” is geen ja of nee."),
        (9, "aandeel_huishoudens", "Een aandeel ligt tussen 0 en 100 procent; 120 niet."),  # the model's, after
        (10, "jaar", "Het jaar ontbreekt."),
    ]
    assert outcomes(report)[0] == (2, "created")
    assert (report.committed, state()) == (False, (0, 0, []))


def test_an_editor_imports_only_figures_of_their_region(linde, utrecht):
    Initiative.objects.filter(pk=utrecht.pk).update(external_id="U-1")
    rows = [["L-1", "2024", "100"], ["U-1", "2024", "100"]]

    report = commit_figures(csv_bytes(rows, ["extern_id", "jaar", "subsidie"]), "c.csv", acting_user=editor())

    assert errors(report) == [(3, "extern_id", "“Energiecoöperatie Utrecht” ligt buiten uw regio (Zuid-Holland).")]
    assert state() == (0, 0, [])


def test_two_initiatives_with_the_same_external_id_are_named_by_name_and_postcode(linde):
    other = make("Buurtkamer Twee", linde.location, kind="bewonersinitiatief", postcode="2311 CS")
    Initiative.objects.filter(pk=other.pk).update(external_id="L-1", source="Andere lijst")
    content = csv_bytes([["L-1", "2024", "100"]], ["extern_id", "jaar", "subsidie"])

    report = check_figures(content, "c.csv", acting_user=administrator())

    assert errors(report) == [(2, "extern_id", "2 initiatieven hebben extern id “L-1”: noem het initiatief bij "
                                               "zijn externe id.")]


def test_an_xlsx_file_reads_the_same(linde):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["External id", "Year", "Subsidy", "Volunteers", "Consent"])
    sheet.append(["L-1", 2024, 12000.0, 14, "yes"])
    stream = io.BytesIO()
    workbook.save(stream)

    report = commit_figures(stream.getvalue(), "cijfers.xlsx", acting_user=administrator())

    assert (errors(report), outcomes(report)) == ([], [(2, "created")])
    assert list(YearlyFigures.objects.values_list("year", "income_subsidy", "volunteers", "public")) == [
        (2024, 12000, 14, True)]


def test_the_command_is_a_dry_run_unless_commit(linde, tmp_path: Path):
    administrator()
    path = tmp_path / "cijfers.csv"
    path.write_bytes(csv_bytes([["L-1", "2024", "100"]], ["extern_id", "jaar", "subsidie"]))

    assert "nog niets opgeslagen" in call_command("import_figures", str(path), "--as", "beheerder")
    assert YearlyFigures.objects.count() == 0
    call_command("import_figures", str(path), "--as", "beheerder", "--commit")
    assert YearlyFigures.objects.count() == 1

    path.write_bytes(csv_bytes([["L-9", "2024", "100"]], ["extern_id", "jaar", "subsidie"]))
    with pytest.raises(CommandError, match="fouten in 1 van de 1 rijen"):
        call_command("import_figures", str(path), "--as", "beheerder", "--commit")
