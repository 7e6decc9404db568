"""Importing lists of initiatives (registry.importing): reading CSV, XLSX and GeoJSON, the template
and its aliases, vocabulary terms in both languages, locations, validation by the model, matching,
idempotent re-import, and every kind of bad input leaving the register exactly as it was."""

from __future__ import annotations

import datetime
import io
import json
import time

import openpyxl
import pytest
from django.utils import timezone
from django.utils.translation import gettext

from geo.models import Postcode
from registry import importing
from registry.importing import ImportOptions
from registry.importing.reading import FileProblem, read
from registry.models import Initiative, LocationPrecision, PublicationState, Status
from tests.registry.import_helpers import (
    GOOD_ROWS,
    administrator,
    csv_bytes,
    editor,
    errors,
    outcomes,
    register_state,
)

# The import speaks Dutch by default; these tests read its messages in their English source text.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def options(**changes) -> ImportOptions:
    return ImportOptions(**{"source": "Lijst LSA 2026", "file_name": "lijst.csv", **changes})


@pytest.fixture
def admin_user(db):
    return administrator()


# -- a good list ------------------------------------------------------------------------------------


def test_it_creates_records_with_derived_areas_and_terms_from_codes_and_both_languages(admin_user):
    report = importing.commit(csv_bytes(GOOD_ROWS), options(), acting_user=admin_user)

    assert (report.committed, report.file_errors, outcomes(report)) == (True, [], [
        (2, "created"), (3, "created"), (4, "created")])
    assert report.notices == ["Columns separated by semicolons."]
    stored = {i.external_id: i for i in Initiative.objects.all()}
    assert [row.record_id for row in report.rows] == [stored[f"L-{n}"].pk for n in (1, 2, 3)]
    linde, oosterend, utrecht = stored["L-1"], stored["L-2"], stored["L-3"]
    assert (linde.municipality.code, linde.province.code, linde.location_precision) == ("GM0546", "PV28", "exact")
    assert (round(linde.location.y, 4), round(linde.location.x, 4)) == (52.1601, 4.4970)  # decimal comma
    assert sorted(linde.services.values_list("code", flat=True)) == ["ontmoetingsplek", "wijkrestaurant"]
    assert sorted(linde.funding_sources.values_list("code", flat=True)) == ["donaties", "subsidie"]
    assert (linde.phone, linde.postcode, linde.place) == ("071 123 4567", "2311 CS", "Leiden")
    # A postcode alone places the record at the centre of its area, marked approximate.
    assert (oosterend.kind.code, oosterend.location_precision, oosterend.province.code) == (
        "dorpscooperatie", LocationPrecision.POSTCODE, "PV20")
    assert list(oosterend.funding_sources.values_list("code", flat=True)) == ["eigen-inkomsten"]
    assert (utrecht.kind.code, utrecht.municipality.code) == ("buurtcooperatie", "GM0344")
    for record in stored.values():
        assert (record.source, record.publication_state) == ("Lijst LSA 2026", PublicationState.DRAFT)
        assert (record.last_verified_on, record.verification_method) == (None, "")
    # One history entry per record, by the importing user, with the reason and the links.
    entry = linde.history.get()
    assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
        "+", admin_user, "import (Lijst LSA 2026): created")
    assert sorted(entry.services.values_list("service__code", flat=True)) == ["ontmoetingsplek", "wijkrestaurant"]


def test_a_dry_run_reports_the_same_and_writes_nothing(admin_user):
    before = register_state()

    report = importing.check(csv_bytes(GOOD_ROWS), options(), acting_user=admin_user)

    assert (report.committed, outcomes(report)) == (False, [(2, "created"), (3, "created"), (4, "created")])
    assert [row.record_id for row in report.rows] == [None, None, None]
    assert register_state() == before


@pytest.mark.parametrize(("delimiter", "notice"), [
    (",", "Columns separated by commas."), (";", "Columns separated by semicolons."),
    ("\t", "Columns separated by tabs.")])
def test_the_separator_is_found(admin_user, delimiter, notice):
    rows = [[cell.replace(",", ".") for cell in row] for row in GOOD_ROWS]  # a comma file has decimal points

    report = importing.check(csv_bytes(rows, delimiter=delimiter), options(), acting_user=admin_user)

    assert (report.notices, outcomes(report)) == ([notice], [(2, "created"), (3, "created"), (4, "created")])


def test_headers_match_in_english_and_in_any_case_or_spacing_and_unknown_columns_are_a_notice(admin_user):
    header = ["External ID", "Name", "KIND", "Services", "Postal code", "Lat", "Lng", "KvK-nummer", "Opmerkingen"]
    rows = [["E-1", "Repair Café Leiden", "residents' initiative", "Neighbourhood workshop", "2311cs", "52.1601",
             "4.4970", "1234 5678", "bellen in mei"]]

    report = importing.commit(csv_bytes(rows, header=header, delimiter=","), options(), acting_user=admin_user)

    assert outcomes(report) == [(2, "created")]
    assert report.notices[-1] == "Ignored columns (not in the template): Opmerkingen."
    record = Initiative.objects.get()
    assert (record.external_id, record.kind.code, record.postcode, record.kvk_number) == (
        "E-1", "bewonersinitiatief", "2311 CS", "12345678")
    assert list(record.services.values_list("code", flat=True)) == ["wijkatelier"]


def test_an_explicit_mapping_reads_other_headers_and_can_ignore_a_column(admin_user):
    header = ["Naam organisatie", "Soort", "PC", "Naam"]
    rows = [["Buurtkamer De Linde", "bewonersinitiatief", "2311 CS", "Jan Jansen (contactpersoon)"]]
    mapping = importing.parse_mapping(["Naam organisatie=naam", "PC=postcode", "Naam="])

    report = importing.check(csv_bytes(rows, header=header), options(mapping=mapping), acting_user=admin_user)

    assert (outcomes(report), report.rows[0].name) == ([(2, "created")], "Buurtkamer De Linde")
    assert report.notices == ["Columns separated by semicolons."]  # the ignored column is not even mentioned


def test_fixed_choices_and_dates_are_read_by_code_or_label_in_either_language(admin_user):
    header = ["naam", "soort", "postcode", "rechtsvorm", "status", "gestopt_op", "reden_stoppen", "opgericht",
              "publicatiestatus", "laatst_gecontroleerd", "vrijwilligers", "website"]
    rows = [["Zorg om Leiden", "zorgcooperatie", "2311", "Foundation", "Gestopt", "31-12-2024", "lack of people",
             "2010", "published", "1-3-2026", "1.200", "www.zorgomleiden.example"],
            ["Wijkbedrijf Noord", "wijkonderneming", "2311", "coöperatie", "active", "", "", "2019,0", "", "", "",
             ""]]

    report = importing.commit(csv_bytes(rows, header=header), options(), acting_user=admin_user)

    assert outcomes(report) == [(2, "created"), (3, "created")], errors(report)
    stopped = Initiative.objects.get(name="Zorg om Leiden")
    assert (stopped.legal_form, stopped.status, stopped.stopped_on, stopped.stop_reason, stopped.founded_year) == (
        "stichting", Status.STOPPED, datetime.date(2024, 12, 31), "menskracht", 2010)
    assert (stopped.publication_state, stopped.last_verified_on, stopped.verification_method) == (
        "gepubliceerd", datetime.date(2026, 3, 1), "import")
    assert (stopped.volunteers, stopped.website) == (1200, "https://www.zorgomleiden.example")
    other = Initiative.objects.get(name="Wijkbedrijf Noord")
    assert (other.legal_form, other.status, other.founded_year, other.publication_state) == (
        "cooperatie", "actief", 2019, "concept")


def test_the_default_publication_state_applies_to_new_records(admin_user):
    importing.commit(csv_bytes(GOOD_ROWS[:1]), options(publication_state=PublicationState.PUBLISHED),
                     acting_user=admin_user)

    assert Initiative.objects.get().publication_state == PublicationState.PUBLISHED


def test_xlsx_is_read_from_the_first_sheet_with_spreadsheet_row_numbers(admin_user):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Initiatieven"
    sheet.append(["Naam", "Soort", "Voorzieningen", "Postcode", "Breedtegraad", "Lengtegraad", "Opgericht",
                  "Laatst gecontroleerd"])
    sheet.append([])  # an empty row is skipped, the numbers stay those of the sheet
    sheet.append(["Buurtkamer De Linde", "Bewonersinitiatief", "Meeting point", "2311 CS", 52.1601, 4.497, 2015,
                  datetime.datetime(2026, 3, 1)])
    sheet.append(["Dorpswinkel Winsum", "dorpscooperatie", "winkel", 9951, None, None, 2019.0, None])
    sheet.append(["Zeewinkel", "dorpscooperatie", "winkel", None, 52.6, 3.5, None, None])
    workbook.create_sheet("Toelichting")["A1"] = "niet importeren"
    stream = io.BytesIO()
    workbook.save(stream)

    report = importing.check(stream.getvalue(), options(file_name="lijst.xlsx"), acting_user=admin_user)

    assert (report.format, report.line_label) == ("xlsx", "row")
    assert outcomes(report) == [(3, "created"), (4, "created"), (5, "error")]
    assert report.notices == ["Read the first sheet, “Initiatieven”; the workbook's other sheets are ignored."]
    [(line, column, message)] = errors(report)
    assert (line, column) == (5, "Breedtegraad/Lengtegraad")
    assert "(3.50000, 52.60000)" in message


def test_geojson_features_give_their_location_by_geometry(admin_user):
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.4970, 52.1601]},
         "properties": {"naam": "Buurtkamer De Linde", "soort": "bewonersinitiatief",
                        "voorzieningen": ["ontmoetingsplek", "Community restaurant"], "vrijwilligers": 12}},
        {"type": "Feature", "geometry": None,
         "properties": {"naam": "Dorpswinkel Winsum", "soort": "dorpscooperatie", "postcode": "9951"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[4, 52], [5, 52], [5, 53], [4, 52]]]},
         "properties": {"naam": "Vlak", "soort": "dorpscooperatie"}},
    ]}

    report = importing.commit(json.dumps(collection).encode(), options(file_name="lijst.geojson"),
                              acting_user=admin_user)

    assert (report.format, report.line_label, report.committed) == ("geojson", "feature", False)
    assert outcomes(report) == [(1, "created"), (2, "created"), (3, "error")]
    assert [(line, column) for line, column, _text in errors(report)] == [(3, "geometry")]
    assert "Polygon" in errors(report)[0][2]
    assert Initiative.objects.count() == 0

    collection["features"].pop()
    report = importing.commit(json.dumps(collection).encode(), options(file_name="lijst.geojson"),
                              acting_user=admin_user)
    assert report.committed
    linde = Initiative.objects.get(name="Buurtkamer De Linde")
    assert (linde.municipality.code, linde.volunteers, linde.location_precision) == ("GM0546", 12, "exact")
    assert sorted(linde.services.values_list("code", flat=True)) == ["ontmoetingsplek", "wijkrestaurant"]
    assert Initiative.objects.get(name="Dorpswinkel Winsum").location_precision == "postcode"


# -- importing again --------------------------------------------------------------------------------


def test_importing_the_same_file_again_reports_every_row_unchanged_and_writes_nothing(admin_user):
    importing.commit(csv_bytes(GOOD_ROWS), options(), acting_user=admin_user)
    before = register_state()

    report = importing.commit(csv_bytes(GOOD_ROWS), options(), acting_user=admin_user)

    assert (report.committed, outcomes(report)) == (True, [(2, "unchanged"), (3, "unchanged"), (4, "unchanged")])
    assert [row.record_id for row in report.rows] == list(
        Initiative.objects.order_by("external_id").values_list("pk", flat=True))
    assert register_state() == before


def test_a_changed_file_updates_what_changed_keeps_what_is_empty_and_records_who_and_why(admin_user):
    importing.commit(csv_bytes(GOOD_ROWS), options(), acting_user=admin_user)
    changer = editor("PV28", "wijzigaar")
    rows = [list(row) for row in GOOD_ROWS[:2]]
    rows[0][9] = "071 765 4321"  # phone changed
    rows[0][3] = ""  # services left empty: kept
    rows[1][3] = "winkel|vervoer"  # a service added (Groningen lies outside the editor's region)

    report = importing.commit(csv_bytes(rows), options(), acting_user=changer)

    assert report.committed is False
    assert [(row.line, row.outcome, row.changed) for row in report.rows] == [
        (2, "updated", ["telefoon"]), (3, "error", [])]
    assert errors(report)[0][:2] == (3, "")
    # The record outside the region is not named: it may be a draft the editor may not see.
    assert errors(report)[0][2] == "Matches a record that lies outside your region (Zuid-Holland)."

    report = importing.commit(csv_bytes(rows[:1]), options(), acting_user=changer)

    assert (report.committed, [(row.outcome, row.changed) for row in report.rows]) == (
        True, [("updated", ["telefoon"])])
    linde = Initiative.objects.get(external_id="L-1")
    assert (linde.phone, sorted(linde.services.values_list("code", flat=True))) == (
        "071 765 4321", ["ontmoetingsplek", "wijkrestaurant"])
    latest = linde.history.latest()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~", changer, "import (Lijst LSA 2026): updated telefoon")
    assert linde.history.count() == 2


def test_changed_links_are_in_the_one_history_entry_of_the_update(admin_user):
    importing.commit(csv_bytes(GOOD_ROWS[:1]), options(), acting_user=admin_user)
    rows = [list(GOOD_ROWS[0])]
    rows[0][3] = "energie"

    report = importing.commit(csv_bytes(rows), options(), acting_user=admin_user)

    assert [(row.outcome, row.changed) for row in report.rows] == [("updated", ["voorzieningen"])]
    record = Initiative.objects.get()
    assert record.history.count() == 2
    assert list(record.history.latest().services.values_list("service__code", flat=True)) == ["energie"]


def test_a_row_matches_its_record_by_external_id_even_under_a_new_name(admin_user):
    importing.commit(csv_bytes(GOOD_ROWS), options(), acting_user=admin_user)
    rows = [list(GOOD_ROWS[0])]
    rows[0][1] = "Huiskamer De Linde"

    report = importing.commit(csv_bytes(rows), options(), acting_user=admin_user)

    assert [(row.outcome, row.changed) for row in report.rows] == [("updated", ["naam"])]
    assert Initiative.objects.get(external_id="L-1").name == "Huiskamer De Linde"
    assert Initiative.objects.count() == 3


def test_the_same_external_id_in_another_source_is_another_record(admin_user):
    importing.commit(csv_bytes(GOOD_ROWS[:1]), options(), acting_user=admin_user)
    rows = [list(GOOD_ROWS[0])]
    rows[0][1] = "Iets heel anders"

    report = importing.commit(csv_bytes(rows), options(source="Andere lijst"), acting_user=admin_user)

    assert outcomes(report) == [(2, "created")]
    assert Initiative.objects.count() == 2


def test_a_row_without_external_id_matches_by_name_and_postcode(admin_user, leiden):
    header = ["naam", "soort", "postcode", "telefoon"]
    rows = [[" BUURTKAMER  de Linde ", "bewonersinitiatief", "2311cs", "071 123 4567"]]

    report = importing.commit(csv_bytes(rows, header=header), options(), acting_user=admin_user)

    assert [(row.outcome, row.record_id, row.changed) for row in report.rows] == [
        ("updated", leiden.pk, ["naam", gettext("source")])]
    record = Initiative.objects.get()
    assert (record.name, record.source, record.kind.code) == ("BUURTKAMER  de Linde", "Lijst LSA 2026",
                                                             "bewonersinitiatief")

    again = importing.commit(csv_bytes(rows, header=header), options(), acting_user=admin_user)
    assert outcomes(again) == [(2, "unchanged")]


def test_a_new_external_id_links_to_the_record_of_the_same_name_and_postcode(admin_user, leiden):
    rows = [["X-9", "Buurtkamer De Linde", "bewonersinitiatief", "", "2311 CS", "", "", "", "", ""]]

    report = importing.commit(csv_bytes(rows), options(), acting_user=admin_user)

    assert [(row.outcome, row.record_id) for row in report.rows] == [("updated", leiden.pk)]
    assert Initiative.objects.get().external_id == "X-9"


def test_rows_with_coordinates_only_match_again_on_name_and_point(admin_user):
    header = ["naam", "soort", "lat", "lon"]
    rows = [["Buurtkamer De Linde", "bewonersinitiatief", "52.1601", "4.4970"]]
    importing.commit(csv_bytes(rows, header=header), options(), acting_user=admin_user)
    before = register_state()

    report = importing.commit(csv_bytes(rows, header=header), options(), acting_user=admin_user)

    assert outcomes(report) == [(2, "unchanged")]
    assert register_state() == before


def test_a_new_record_near_a_similar_one_gets_a_warning(admin_user, leiden):
    header = ["naam", "soort", "postcode", "breedtegraad", "lengtegraad"]
    rows = [["Buurtkamer Linde", "bewonersinitiatief", "2311 CT", "52.1605", "4.4975"]]

    report = importing.check(csv_bytes(rows, header=header), options(), acting_user=admin_user)

    assert outcomes(report) == [(2, "created")]
    [warning] = report.rows[0].warnings
    assert warning.column == "naam"
    assert "Buurtkamer De Linde" in warning.text and f"#{leiden.pk}" in warning.text


def test_a_stopped_record_listed_as_active_again_loses_its_stop_date(admin_user):
    header = ["extern_id", "naam", "soort", "postcode", "status", "gestopt_op", "reden_stoppen"]
    importing.commit(csv_bytes([["S-1", "Zorg om Leiden", "zorgcooperatie", "2311", "gestopt", "2024-06-30",
                                 "financiering"]], header=header), options(), acting_user=admin_user)

    report = importing.commit(csv_bytes([["S-1", "Zorg om Leiden", "zorgcooperatie", "2311", "actief", "", ""]],
                                        header=header), options(), acting_user=admin_user)

    assert [(row.outcome, row.changed) for row in report.rows] == [("updated", ["status", "gestopt_op",
                                                                                 "reden_stoppen"])]
    record = Initiative.objects.get()
    assert (record.status, record.stopped_on, record.stop_reason) == ("actief", None, "")
    assert record.history.latest().history_change_reason == "import (Lijst LSA 2026): resumed"


# -- bad input: a clear report and an unchanged register ------------------------------------------------


def test_a_windows_1252_file_is_read_as_such_and_says_so(admin_user):
    content = csv_bytes(GOOD_ROWS, encoding="cp1252")
    before = register_state()

    report = importing.check(content, options(), acting_user=admin_user)

    assert report.notices[0] == "Read as Windows-1252: the file is not UTF-8."
    assert [row.name for row in report.rows] == ["Buurtkamer De Linde", "Dorpscoöperatie Oosterend",
                                                 "Energiecoöperatie Utrecht"]
    assert outcomes(report) == [(2, "created"), (3, "created"), (4, "created")]
    assert register_state() == before


def test_a_utf16_file_from_excel_unicode_text_is_read(admin_user):
    content = csv_bytes(GOOD_ROWS, delimiter="\t").decode("utf-8").encode("utf-16")

    report = importing.check(content, options(file_name="lijst.txt"), acting_user=admin_user)

    assert report.notices == ["Read as UTF-16 (the file starts with its byte order mark).",
                              "Columns separated by tabs."]
    assert [row.name for row in report.rows][1] == "Dorpscoöperatie Oosterend"


def test_a_utf8_file_with_byte_order_mark_is_read_without_notice(admin_user):
    report = importing.check(b"\xef\xbb\xbf" + csv_bytes(GOOD_ROWS), options(), acting_user=admin_user)

    assert (report.notices, report.rows[1].name) == (["Columns separated by semicolons."], "Dorpscoöperatie Oosterend")


def test_missing_required_columns_are_named_with_their_accepted_names(admin_user):
    before = register_state()
    content = csv_bytes([["Buurtkamer", "Leiden"]], header=["Naam", "Plaats"])

    report = importing.commit(content, options(), acting_user=admin_user)

    assert report.rows == [] and report.committed is False
    assert report.file_errors == [
        "Required columns are missing: soort (kind, type_initiatief).",
        "A location is missing: give the columns breedtegraad (lat, latitude) and lengtegraad (lon, lng, long, "
        "longitude), or postcode (postal_code, zip).",
    ]
    assert register_state() == before


def test_one_coordinate_column_without_the_other_is_a_file_error(admin_user):
    report = importing.check(csv_bytes([["A", "wijkonderneming", "52.1"]], header=["naam", "soort", "lat"]),
                             options(), acting_user=admin_user)

    assert report.file_errors == ["The column lat needs its partner lengtegraad (lon, lng, long, longitude): a point "
                                  "takes both coordinates."]


def test_a_mapping_to_a_column_the_file_lacks_is_a_file_error(admin_user):
    report = importing.check(csv_bytes(GOOD_ROWS), options(mapping={"Organisatie": "naam"}), acting_user=admin_user)

    assert len(report.file_errors) == 1 and "“Organisatie”" in report.file_errors[0]


def test_coordinates_outside_the_netherlands_are_row_errors_and_nothing_is_written(admin_user):
    rows = [list(GOOD_ROWS[0]), list(GOOD_ROWS[1]), list(GOOD_ROWS[2])]
    rows[2][6:8] = ["5.1214", "52.0907"]  # latitude and longitude swapped: in the Indian Ocean
    rows[1][6:8] = ["463000", "155000"]  # Rijksdriehoek metres, not degrees
    before = register_state()

    report = importing.commit(csv_bytes(rows), options(), acting_user=admin_user)

    assert (report.committed, outcomes(report)) == (False, [(2, "created"), (3, "error"), (4, "error")])
    (line3, column3, text3), (line4, column4, text4) = errors(report)
    assert (line3, column3, line4, column4) == (3, "breedtegraad/lengtegraad", 4, "breedtegraad/lengtegraad")
    assert "Rijksdriehoek" in text3
    assert "(52.09070, 5.12140)" in text4  # the model's message, which suggests the swap
    assert register_state() == before


def test_invalid_and_unknown_postcodes_are_row_errors(admin_user):
    header = ["naam", "soort", "postcode"]
    rows = [["A", "wijkonderneming", "2311 CS"], ["B", "wijkonderneming", "12345"],
            ["C", "wijkonderneming", "9999 SS"], ["D", "wijkonderneming", "1000 AA"]]
    before = register_state()

    report = importing.commit(csv_bytes(rows, header=header), options(), acting_user=admin_user)

    assert outcomes(report) == [(2, "created"), (3, "error"), (4, "error"), (5, "error")]
    found = errors(report)
    assert [(line, column) for line, column, _text in found] == [(3, "postcode"), (4, "postcode"), (5, "postcode")]
    assert "12345" in found[0][2] and "SS" in found[1][2] and "1000" in found[2][2]
    assert register_state() == before


def test_unknown_vocabulary_values_name_the_column_the_value_and_the_codes(admin_user):
    rows = [list(GOOD_ROWS[0])]
    rows[0][2] = "buurthuis"
    rows[0][3] = "winkel|bibliotheek"
    rows[0][8] = "subsidie;loterij"
    before = register_state()

    report = importing.commit(csv_bytes(rows), options(), acting_user=admin_user)

    found = errors(report)
    assert [(line, column) for line, column, _text in found] == [(2, "soort"), (2, "voorzieningen"),
                                                                  (2, "financiering")]
    assert "“buurthuis”" in found[0][2] and "bewonersinitiatief, bewonersbedrijf" in found[0][2]
    assert "“bibliotheek”" in found[1][2] and "winkel, ontmoetingsplek" in found[1][2]
    assert "“loterij”" in found[2][2] and "subsidie" in found[2][2]
    assert register_state() == before


def test_bad_numbers_and_dates_are_errors_in_their_cells(admin_user):
    header = ["naam", "soort", "postcode", "opgericht", "vrijwilligers", "gestopt_op", "breedtegraad",
              "lengtegraad", "laatst_gecontroleerd"]
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    rows = [["A", "wijkonderneming", "2311", "ca. 2010", "-3", "31-02-2024", "52.16", "vier", tomorrow]]

    report = importing.check(csv_bytes(rows, header=header), options(), acting_user=admin_user)

    assert [column for _line, column, _text in errors(report)] == [
        "opgericht", "gestopt_op", "lengtegraad", "laatst_gecontroleerd", "vrijwilligers"]


def test_duplicate_rows_in_one_file_are_errors_on_the_later_row(admin_user):
    rows = [list(GOOD_ROWS[0]), list(GOOD_ROWS[1]), list(GOOD_ROWS[0]), list(GOOD_ROWS[1])]
    rows[3][0] = "L-20"  # another external id, but the same name and postcode
    before = register_state()

    report = importing.commit(csv_bytes(rows), options(), acting_user=admin_user)

    assert outcomes(report) == [(2, "created"), (3, "created"), (4, "error"), (5, "error")]
    assert [(line, column) for line, column, _text in errors(report)] == [(4, "extern_id"), (5, "naam")]
    assert "line 2" in errors(report)[0][2] and "line 3" in errors(report)[1][2]
    assert register_state() == before


def test_two_rows_matching_one_record_are_an_error(admin_user, leiden):
    header = ["extern_id", "naam", "soort", "postcode"]
    rows = [["", "Buurtkamer De Linde", "bewonersinitiatief", "2311 CS"],
            ["Q-1", "Buurtkamer De Linde", "bewonersinitiatief", "2311 CS"]]

    report = importing.check(csv_bytes(rows, header=header), options(), acting_user=admin_user)

    assert outcomes(report) == [(2, "updated"), (3, "error")]


@pytest.mark.parametrize(("content", "file_name", "expected"), [
    (b"", "lijst.csv", "The file is empty."),
    (b"  \r\n\r\n", "lijst.csv", "The file is empty."),
    (b"naam;soort;postcode\r\n", "lijst.csv", "The file has a header row but no rows with data."),
    (b"naam;soort;postcode\r\n;;\r\n", "lijst.csv", "The file has a header row but no rows with data."),
    (b"%PDF-1.7\n\x00\x01\x02\xff\xfe binary", "lijst.csv", "This is not a text file (it contains NUL bytes)"),
    (bytes(range(1, 32)) * 4, "lijst.csv", "This is not a text file (it contains the control character U+0001"),
    (b"PK\x03\x04 not really a workbook", "lijst.xlsx", "The file is not a readable XLSX workbook"),
    (b"PK\x03\x04 not really a workbook", "lijst.csv", "This is not a text file but a zip archive"),
    (b"naam;soort\r\n\"Open quote;x\r\n", "lijst.csv", "Line 2 cannot be read as CSV"),
    (b"{\"type\": \"Feature\"}", "lijst.geojson", "A GeoJSON import is a FeatureCollection; this file is a “Feature”."),
    (b"{\"type\": \"FeatureCollection\", \"features\": []}", "lijst.geojson", "The FeatureCollection has no features."),
    (b"{not json", "lijst.geojson", "The file is not valid JSON"),
    (b"{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": {\"name\": "
     b"\"urn:ogc:def:crs:EPSG::28992\"}}, \"features\": []}", "lijst.geojson",
     "The coordinates are in urn:ogc:def:crs:EPSG::28992"),
    (b"\x81\x8d\x8f\x90\x9d naam", "lijst.csv", "The file is neither UTF-8 nor Windows-1252"),
    (b"naam\r\nx\r\n", "lijst.xls", ".xls files cannot be imported"),
])
def test_a_file_that_cannot_be_read_is_one_clear_error_and_nothing_is_written(admin_user, content, file_name,
                                                                                expected):
    before = register_state()

    report = importing.commit(content, options(file_name=file_name), acting_user=admin_user)

    assert report.rows == [] and report.committed is False
    assert len(report.file_errors) == 1 and report.file_errors[0].startswith(expected), report.file_errors
    assert register_state() == before


def test_a_line_with_more_values_than_columns_is_a_row_error(admin_user):
    content = b"naam,soort,breedtegraad,lengtegraad\r\nA,wijkonderneming,52,16,4,49\r\n"

    report = importing.check(content, options(), acting_user=admin_user)

    assert errors(report) == [(2, "", "This line has 6 values but the header has 4 columns: check the separator and "
                                      "the quotes.")]


def test_an_explicit_encoding_that_does_not_fit_is_a_file_error():
    with pytest.raises(FileProblem, match="not valid utf-8: the byte 0xF6 at position 1"):
        read("Dö".encode("cp1252") + b";x\r\n1;2\r\n", "lijst.csv", encoding="utf-8")


def test_one_bad_row_among_good_ones_stops_the_commit_and_nothing_is_written(admin_user, leiden):
    rows = [list(GOOD_ROWS[0]), list(GOOD_ROWS[1]), list(GOOD_ROWS[2])]
    rows[1][2] = "onbekende soort"
    before = register_state()

    report = importing.commit(csv_bytes(rows), options(), acting_user=admin_user)

    assert (report.committed, report.counts) == (False, {"created": 1, "updated": 1, "unchanged": 0, "error": 1})
    assert report.summary().startswith("Nothing was written: 1 of 3 rows have errors")
    assert register_state() == before


def test_a_failure_while_writing_undoes_the_whole_import(admin_user, monkeypatch):
    # The register changed between the check and the writing: a record with one of the external ids appeared.
    from registry.importing import lookups

    importing.commit(csv_bytes(GOOD_ROWS[2:]), options(), acting_user=admin_user)
    monkeypatch.setattr(lookups.RecordIndex, "load", classmethod(lambda cls, source: cls()))
    before = register_state()

    report = importing.commit(csv_bytes(GOOD_ROWS), options(), acting_user=admin_user)

    assert report.committed is False
    assert len(report.file_errors) == 1 and report.file_errors[0].startswith("Nothing was written: saving failed (")
    assert "initiative_external_id_per_source" in report.file_errors[0]
    assert [row.record_id for row in report.rows] == [None, None, None]
    assert register_state() == before


def test_possible_duplicates_are_recorded_when_committing(admin_user, leiden):
    from registry.models import DuplicateCandidate

    header = ["naam", "soort", "postcode", "breedtegraad", "lengtegraad"]
    rows = [["Buurtkamer Linde", "bewonersinitiatief", "2311 CT", "52.1605", "4.4975"],
            ["Buurtkamer de Linden", "bewonersinitiatief", "2311 CV", "52.1603", "4.4972"]]

    importing.commit(csv_bytes(rows, header=header), options(), acting_user=admin_user)

    first, second = Initiative.objects.exclude(pk=leiden.pk).order_by("pk")
    assert set(DuplicateCandidate.objects.values_list("first_id", "second_id", "decision")) == {
        (leiden.pk, first.pk, "open"), (leiden.pk, second.pk, "open"), (first.pk, second.pk, "open")}


# -- roles and regions ------------------------------------------------------------------------------------


def test_an_editor_cannot_import_rows_outside_the_region(db):
    utrecht_editor = editor("PV26")
    before = register_state()

    report = importing.commit(csv_bytes(GOOD_ROWS), options(), acting_user=utrecht_editor)

    assert outcomes(report) == [(2, "error"), (3, "error"), (4, "created")]
    assert [(line, column) for line, column, _text in errors(report)] == [
        (2, "breedtegraad/lengtegraad"), (3, "postcode")]
    assert "Leiden" in errors(report)[0][2] and "Utrecht" in errors(report)[0][2]
    assert register_state() == before


def test_a_reviewer_or_a_user_without_role_may_not_import(db):
    from registry.models import Role
    from registry.roles import NotAllowed
    from tests.registry.import_helpers import make_user

    for user in (make_user("meelezer", Role.REVIEWER), make_user("niemand")):
        with pytest.raises(NotAllowed):
            importing.check(csv_bytes(GOOD_ROWS), options(), acting_user=user)
        with pytest.raises(NotAllowed):
            importing.commit(csv_bytes(GOOD_ROWS), options(), acting_user=user)


# -- the template -----------------------------------------------------------------------------------------


def test_the_template_file_is_a_valid_import_of_its_two_examples(admin_user):
    content = importing.template_csv()

    assert content.startswith(b"\xef\xbb\xbfextern_id;naam;soort;")
    report = importing.check(content, options(file_name=importing.TEMPLATE_FILE_NAME), acting_user=admin_user)
    assert (report.file_errors, outcomes(report)) == ([], [(2, "created"), (3, "created")]), errors(report)
    assert report.notices == ["Columns separated by semicolons."]


# -- size ----------------------------------------------------------------------------------------------------


def test_a_dry_run_of_100000_rows_reports_the_few_bad_ones_and_writes_nothing(admin_user):
    # Real postcodes and places; a third of the rows with coordinates near the centre of their postcode area.
    areas = list(Postcode.objects.order_by("pc4").values_list("pc4", "place", "location"))
    kinds = ["bewonersinitiatief", "Bewonersbedrijf", "Village cooperative", "zorgcoöperatie"]
    rows = []
    for n in range(100_000):
        pc4, place, point = areas[n % len(areas)]
        coordinates = ["", ""] if n % 3 else [f"{point.y + 0.0001:.5f}".replace(".", ","), f"{point.x:.5f}"]
        rows.append([f"R-{n}", f"Initiatief {n} {place}", kinds[n % 4], "winkel|Meeting point", pc4, place,
                     *coordinates, "subsidie", ""])
    rows[10][2] = "onbekend"
    rows[50_000][4] = "0123"
    rows[75_000][6:8] = ["53.9", "4.4"]  # in the North Sea
    rows[99_998][0] = "R-7"  # a duplicate external id
    content = csv_bytes(rows)
    before = register_state()

    started = time.perf_counter()
    report = importing.check(content, options(), acting_user=admin_user)
    seconds = time.perf_counter() - started

    assert report.file_errors == []
    assert [(row.line, [m.column for m in row.errors]) for row in report.rows if row.outcome == "error"] == [
        (12, ["soort"]), (50_002, ["postcode"]), (75_002, ["breedtegraad/lengtegraad"]), (100_000, ["extern_id"])]
    assert report.counts == {"created": 99_996, "updated": 0, "unchanged": 0, "error": 4}
    assert register_state() == before
    print(f"dry run of 100,000 rows: {seconds:.1f} s")


def test_an_editor_cannot_move_a_record_out_of_the_region_by_import(db):
    zuid_holland_editor = editor("PV28")
    importing.commit(csv_bytes(GOOD_ROWS[:1]), options(), acting_user=zuid_holland_editor)
    rows = [list(GOOD_ROWS[0])]
    rows[0][6:8] = ["52.0907", "5.1214"]  # to Utrecht
    before = register_state()

    report = importing.commit(csv_bytes(rows), options(), acting_user=zuid_holland_editor)

    assert [(line, column) for line, column, _text in errors(report)] == [(2, "breedtegraad/lengtegraad")]
    assert "Utrecht" in errors(report)[0][2]
    assert register_state() == before


# -- the model's help for bulk work ---------------------------------------------------------------------------


def test_areas_given_by_the_caller_are_used_until_the_point_moves(make_initiative, django_assert_num_queries):
    from geo.models import Municipality
    from tests.conftest import LEIDEN, UTRECHT

    initiative = make_initiative(location=LEIDEN.clone())
    leiden = Municipality.objects.get(code="GM0546")
    initiative.use_derived_areas(leiden.pk, leiden.province_id)
    with django_assert_num_queries(0):
        initiative.derive_areas()

    initiative.location = UTRECHT.clone()
    initiative.derive_areas()

    assert initiative.municipality.code == "GM0344"


def test_a_postcode_point_given_by_the_caller_is_kept_until_the_postcode_changes(make_initiative,
                                                                                 django_assert_num_queries):
    from django.contrib.gis.geos import Point

    initiative = make_initiative(location=None, postcode="2311 CS")
    initiative.use_postcode_location(Point(4.49, 52.16, srid=4326))
    with django_assert_num_queries(0):
        initiative.locate()
    assert (initiative.location.coords, initiative.location_precision) == ((4.49, 52.16), "postcode")

    initiative.postcode = "3511 AA"
    initiative.locate()

    assert initiative.location.equals(Postcode.objects.get(pc4="3511").location)


def test_an_import_of_many_new_records_tells_the_planner_of_them_before_the_work_that_follows(admin_user):
    """The statements after the save (documents, search, duplicates) are planned for the register as
    it now is, not as its statistics said before the import (registry.saving.refresh_statistics)."""
    from django.db import connection

    def planned_rows() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Initiative._meta.db_table])
            return cursor.fetchone()[0]

    areas = list(Postcode.objects.order_by("pc4").values_list("pc4", "place")[:50])
    rows = [[f"S-{n}", f"Buurtinitiatief {n} {areas[n % 50][1]}", "bewonersinitiatief", "winkel",
             areas[n % 50][0], areas[n % 50][1], "", "", "subsidie", ""] for n in range(300)]
    assert planned_rows() < 300
    report = importing.commit(csv_bytes(rows), options(), acting_user=admin_user)
    assert report.counts["created"] == 300, errors(report)
    assert planned_rows() == Initiative.objects.count() == 300

    # A few records more change nothing: not worth an ANALYZE.
    importing.commit(csv_bytes([[f"T-{n}", *row[1:]] for n, row in enumerate(rows[:5])]), options(),
                     acting_user=admin_user)
    assert planned_rows() == 300
