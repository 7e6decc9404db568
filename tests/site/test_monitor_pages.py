"""The annual monitor as a page, a PDF, CSV files in the open data and an API answer, on a small register
whose every figure is worked out by hand below."""

from __future__ import annotations

import csv
import datetime
import io
import re
import subprocess

import pytest
from django.test import Client

from registry.models import Status, StopReason
from registry.monitor import TABLE_COLUMNS
from tests.conftest import LEIDEN, UTRECHT, make
from tests.site.test_statistics import tables

Y = datetime.date.today().year
LEIDEN_CODE = "GM0546"


@pytest.fixture
def register(db):
    """Leiden (GM0546, Zuid-Holland PV28) and one record in Utrecht:
    A founded Y−3, running, meeting point, subsidy, 10 volunteers;
    B founded Y−2, stopped in Y−1 for lack of funding, shop, subsidy and donations, 4 volunteers;
    C founded Y, running, no services, no funding sources;
    D founded Y−3, stopped in Y for lack of people, meeting point, donations;
    E (Utrecht) founded Y−1, running, social counter."""
    make("A", LEIDEN, founded_year=Y - 3, services=["ontmoetingsplek"], funding_sources=["subsidie"], volunteers=10)
    make("B", LEIDEN, founded_year=Y - 2, status=Status.STOPPED, stopped_on=datetime.date(Y - 1, 6, 1),
         stop_reason=StopReason.FUNDING, services=["winkel"], funding_sources=["subsidie", "donaties"], volunteers=4)
    make("C", LEIDEN, founded_year=Y, kind="bewonersinitiatief")
    make("D", LEIDEN, founded_year=Y - 3, status=Status.STOPPED, stopped_on=datetime.date(Y, 1, 2),
         stop_reason=StopReason.PEOPLE, services=["ontmoetingsplek"], funding_sources=["donaties"])
    make("E", UTRECHT, founded_year=Y - 1, services=["sociaal-loket"])


# Seen from the end of Y, in Leiden: A ran 3 years, B stopped after 1, C ran 0, D stopped after 3.
#   age 0: 4 at risk, C censored -> 1;  age 1: 3 at risk, B stops -> 2/3;  age 2: 2 at risk -> 2/3;
#   age 3: 2 at risk, D stops, A censored -> 2/3 · 1/2 = 1/3.
SURVIVAL_ALL = [(0, 4, 0, 1, 1.0), (1, 3, 1, 0, 0.6667), (2, 2, 0, 0, 0.6667), (3, 2, 1, 1, 0.3333)]


def test_the_page_shows_the_figures_beside_the_year_before(client: Client, register):
    response = client.get(f"/monitor/{Y}/{LEIDEN_CODE}")

    assert response.status_code == 200
    found = tables(response.content.decode())
    assert found["table-figures"] == {
        "Actief aan het eind van het jaar": ["2", "2", "0"],  # A and C; A and D
        "Opgericht in het jaar": ["1", "0", "+1"],  # C
        "Gestopt in het jaar": ["1", "1", "0"],  # D; B
    }
    assert found["table-stopped-by-reason"] == {
        "Gebrek aan financiering": ["0", "1", "−1"], "Gebrek aan mensen": ["1", "0", "+1"],
        "Doel bereikt": ["0", "0", "0"], "Overig": ["0", "0", "0"]}
    # After 1 year: 2/3, Greenwood's sum 1/(3·2), so the log-log interval 5%–95%; seen from Y−1 also 2/3.
    assert found["table-survival-all"] == {
        "Alle initiatieven": ["4", "2", "67% (5%–95%) [67%]", "–", "–", "–", "3 jaar"]}
    assert found["table-coverage-summary"] == {
        "Ontmoetingsplek": ["0", "0"], "Dorps- of buurtwinkel": ["1", "1"], "Sociaal loket": ["1", "1"]}
    assert found["table-coverage"] == {"Leiden": ["1 (2)", "geen (0)", "geen (0)"]}
    assert found["table-volunteers"]["Alle soorten"] == ["1", "niet getoond"]  # A alone: fewer than 5
    html = response.content.decode()
    assert f'href="/monitor/{Y}/{LEIDEN_CODE}.pdf"' in html
    assert f'href="/opendata/monitor/{Y}/{LEIDEN_CODE}/figures.csv"' in html
    assert f'href="/api/v1/monitor?year={Y}&amp;area={LEIDEN_CODE}"' in html
    assert f'href="/monitor/{Y}/PV28"' in html  # up to the province


def test_the_survival_table_shows_the_year_before_in_brackets(client: Client, register):
    # Seen from Y−2: A ran 1 year, B 0 (both censored): nothing had stopped yet.
    found = tables(client.get(f"/monitor/{Y - 1}/{LEIDEN_CODE}").content.decode())
    # Seen from Y−1: A and D ran 2 years (censored), B stopped after 1: 2/3 after 1 year.
    assert found["table-survival-all"] == {
        "Alle initiatieven": ["3", "1", "67% (5%–95%) [100%]", "–", "–", "–", "meer dan de helft loopt nog"]}


def test_the_page_speaks_english_when_asked(register):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/monitor/{Y}/{LEIDEN_CODE}")

    found = tables(response.content.decode())
    assert found["table-figures"] == {"Running at the end of the year": ["2", "2", "0"],
                                      "Founded in the year": ["1", "0", "+1"],
                                      "Stopped in the year": ["1", "1", "0"]}
    assert f'<h1 class="utrecht-heading-1">Monitor {Y}: Leiden</h1>' in response.content.decode()


def test_the_country_and_province_pages_count_every_area(client: Client, register):
    country = tables(client.get(f"/monitor/{Y}").content.decode())
    province = tables(client.get(f"/monitor/{Y}/pv28").content.decode())

    assert country["table-figures"]["Actief aan het eind van het jaar"] == ["3", "3", "0"]  # E too
    assert province["table-figures"]["Actief aan het eind van het jaar"] == ["2", "2", "0"]
    assert "Zuid-Holland" in country["table-survival-province"]
    assert "table-survival-province" not in province  # a province has no curves per province


@pytest.mark.parametrize("path", [f"/monitor/{Y + 1}", f"/monitor/{Y - 4}", f"/monitor/{Y}/PV99",
                                  f"/monitor/{Y}/GM0000", f"/monitor/{Y}/amsterdam", f"/monitor/{Y + 1}.pdf",
                                  f"/monitor/{Y}/PV99.pdf", f"/opendata/monitor/{Y + 1}/figures.csv",
                                  f"/opendata/monitor/{Y}/PV99/figures.csv", f"/opendata/monitor/{Y}/nothing.csv"])
def test_a_year_or_area_that_does_not_exist_is_a_404(client: Client, register, path):
    assert client.get(path).status_code == 404


def test_monitor_without_a_year_leads_to_this_years(client: Client, db):
    response = client.get("/monitor")
    assert (response.status_code, response["Location"]) == (302, f"/monitor/{Y}")


def pdf_text(body: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True)
    return done.stdout.decode()


def test_the_pdf_holds_the_tables(client: Client, register):
    response = client.get(f"/monitor/{Y}/{LEIDEN_CODE}.pdf")

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="monitor-{Y}-leiden.pdf"'
    text = pdf_text(response.content)
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    assert f"Monitor {Y}: Leiden" in lines
    assert f"Cijfer {Y} {Y - 1} Verschil" in lines
    assert "Actief aan het eind van het jaar 2 2 0" in lines
    assert "Opgericht in het jaar 1 0 +1" in lines
    assert "Gestopt in het jaar 1 1 0" in lines
    assert "Gebrek aan mensen 1 0 +1" in lines
    assert "Ontmoetingsplek 0 0" in lines
    assert "Dorps- of buurtwinkel 1 1" in lines
    assert any(re.fullmatch(r"Leiden 1 \(2\) geen \(0\) geen \(0\)", line) for line in lines)
    # The survival table (its cells wrap over lines) and, below the chart's axis, the number at risk.
    # (The design system's table cells align at the top: a cell's second line stands alone.)
    assert lines[lines.index("Alle 4 2 67% – – – 3 jaar") + 1] == "initiatieven (5%–95%)"
    assert lines[lines.index("nog gevolgd jaren sinds oprichting") + 1] == "4 3 2 2"
    assert "Kaart" not in lines and "Toegankelijkheidsverklaring" not in text  # the site's menus left out


def test_a_long_list_of_municipalities_is_folded_with_its_count_and_its_csv(client: Client, register):
    country = client.get(f"/monitor/{Y}").content.decode()
    leiden = client.get(f"/monitor/{Y}/{LEIDEN_CODE}").content.decode()

    # Every municipality but Leiden and Utrecht lacks all three; those two lack one or two.
    folded = re.search(r'<details class="table-details" id="coverage-details">\s*<summary>([^<]*)</summary>(.*?)'
                       r"</details>", country, re.DOTALL)
    assert folded is not None  # closed: no "open"
    assert "{#" not in country and "{%" not in country  # no template comment shown as text
    assert folded.group(1) == "Toon de 342 gemeenten die ten minste één van deze voorzieningen missen"
    rows = tables(folded.group(2))["table-coverage"]
    assert len(rows) == 342  # all of them, one click away
    assert rows["Leiden"] == ["Zuid-Holland", "1 (2)", "geen (0)", "geen (0)"]
    assert rows["Utrecht"] == ["Utrecht", "geen (0)", "geen (0)", "1 (1)"]
    assert (f'<a class="utrecht-link utrecht-link--html-a" href="/opendata/monitor/{Y}/coverage.csv">'
            "Dezelfde tabel voor elke gemeente als CSV</a>") in folded.group(2)
    # A municipality's own row is not folded away.
    assert "<details" not in leiden and tables(leiden)["table-coverage"] == {
        "Leiden": ["1 (2)", "geen (0)", "geen (0)"]}


def test_the_pdf_shows_a_folded_table_open(client: Client, register):
    html = client.get(f"/monitor/{Y}/PV28").content.decode()
    assert re.search(r'<details class="table-details" id="coverage-details">\s*<summary>Toon de \d+ gemeenten', html)

    lines = [" ".join(line.split()) for line in pdf_text(client.get(f"/monitor/{Y}/PV28.pdf").content).splitlines()]
    assert any(re.fullmatch(r"Leiden 1 \(2\) geen \(0\) geen \(0\)", line) for line in lines)
    assert not any(line.startswith("Toon de") for line in lines)  # the summary is for the screen


def test_the_pdf_speaks_english_when_asked(register):
    text = pdf_text(Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/monitor/{Y}/{LEIDEN_CODE}.pdf").content)
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    assert "Running at the end of the year 2 2 0" in lines


def read_csv(client: Client, path: str) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"\r\n" in response.content
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_open_data_holds_the_tables_as_csv(client: Client, register):
    base = f"/opendata/monitor/{Y}/{LEIDEN_CODE}"
    figures = read_csv(client, f"{base}/figures.csv")
    assert figures[:4] == [
        ["year", "area", "measure", "kind", "stop_reason", "value", "previous_year_value"],
        [str(Y), LEIDEN_CODE, "running", "", "", "2", "2"],
        [str(Y), LEIDEN_CODE, "founded", "", "", "1", "0"],
        [str(Y), LEIDEN_CODE, "stopped", "", "", "1", "1"]]
    assert [row for row in figures if row[2] == "stopped" and row[4]] == [
        [str(Y), LEIDEN_CODE, "stopped", "", "financiering", "0", "1"],
        [str(Y), LEIDEN_CODE, "stopped", "", "menskracht", "1", "0"],
        [str(Y), LEIDEN_CODE, "stopped", "", "doel-bereikt", "0", "0"],
        [str(Y), LEIDEN_CODE, "stopped", "", "overig", "0", "0"]]
    survival = read_csv(client, f"{base}/survival.csv")
    assert survival[0] == ["year", "area", "grouping", "group", "years", "at_risk", "stopped", "censored",
                           "survival", "lower_95", "upper_95"]
    assert [row[4:9] for row in survival if row[2] == "all"] == [
        [str(age), str(n), str(d), str(c), str(s)] for age, n, d, c, s in SURVIVAL_ALL]
    assert {(row[2], row[3]) for row in survival[1:]} == {
        ("all", "all"), ("kind", "dorpscooperatie"), ("kind", "bewonersinitiatief"),
        ("funding-model", "alleen-subsidie"), ("funding-model", "gemengd"), ("funding-model", "zonder-subsidie"),
        ("funding-model", "onbekend")}
    assert read_csv(client, f"{base}/coverage.csv") == [
        ["year", "area", "municipality", "municipality_name", "service", "initiatives", "previous_year_initiatives"],
        [str(Y), LEIDEN_CODE, LEIDEN_CODE, "Leiden", "ontmoetingsplek", "1", "2"],
        [str(Y), LEIDEN_CODE, LEIDEN_CODE, "Leiden", "winkel", "0", "0"],
        [str(Y), LEIDEN_CODE, LEIDEN_CODE, "Leiden", "sociaal-loket", "0", "0"]]
    volunteers = read_csv(client, f"{base}/volunteers.csv")
    assert volunteers[:2] == [["year", "area", "kind", "initiatives_reporting", "volunteers"],
                              [str(Y), LEIDEN_CODE, "all", "1", ""]]  # suppressed: empty
    stops = read_csv(client, f"{base}/stop-reasons.csv")
    assert [row for row in stops[1:] if row[4] != "0"] == [
        [str(Y), LEIDEN_CODE, str(Y - 1), "financiering", "1"], [str(Y), LEIDEN_CODE, str(Y), "menskracht", "1"]]
    assert len(stops) == 1 + 10 * 4
    national = read_csv(client, f"/opendata/monitor/{Y}/coverage.csv")
    assert len(national) == 1 + 342 * 3 and national[1][1] == "NL"


@pytest.mark.parametrize("path", [f"/monitor/{Y}", f"/monitor/{Y}/{LEIDEN_CODE}", f"/monitor/{Y}/PV28"])
def test_the_page_links_every_table_and_each_link_answers_with_its_header(client: Client, register, path):
    page = client.get(path).content.decode()
    actions = re.search(r'<nav class="monitor-actions.*?</nav>', page, re.DOTALL)
    assert actions is not None
    links = re.findall(r'<a class="utrecht-link utrecht-link--html-a" href="(/opendata/monitor/[^"]+)">([^<]+)</a>',
                       actions.group(0))

    # Every table the monitor has (registry.monitor.TABLE_COLUMNS), the income too, each once.
    assert [label for _url, label in links] == [
        "figures.csv", "survival.csv", "stop-reasons.csv", "coverage.csv", "volunteers.csv", "income.csv"]
    assert [label.removesuffix(".csv") for _url, label in links] == list(TABLE_COLUMNS)
    area = path.removeprefix(f"/monitor/{Y}")
    for url, label in links:
        assert url == f"/opendata/monitor/{Y}{area}/{label}"
        assert read_csv(client, url)[0] == list(TABLE_COLUMNS[label.removesuffix(".csv")]), url


def test_the_api_gives_the_same_rows(client: Client, register):
    response = client.get(f"/api/v1/monitor?year={Y}&area={LEIDEN_CODE.lower()}")

    assert response.status_code == 200
    document = response.json()
    assert document["year"] == Y
    assert document["area"] == {"code": LEIDEN_CODE, "name": "Leiden", "level": "municipality"}
    assert set(document) == {"year", "area", "registerVersion", "figures", "survival", "stopReasons", "coverage",
                             "volunteers", "income"}
    # Leiden's one or two initiatives make no sum: every amount withheld, the items all there.
    assert {row["item"] for row in document["income"]} >= {"subsidie", "total", "volunteers"}
    assert {row["amount"] for row in document["income"]} == {None}
    assert document["figures"][:3] == [
        {"year": Y, "area": LEIDEN_CODE, "measure": "running", "kind": "", "stopReason": "", "value": 2,
         "previousYearValue": 2},
        {"year": Y, "area": LEIDEN_CODE, "measure": "founded", "kind": "", "stopReason": "", "value": 1,
         "previousYearValue": 0},
        {"year": Y, "area": LEIDEN_CODE, "measure": "stopped", "kind": "", "stopReason": "", "value": 1,
         "previousYearValue": 1}]
    assert document["coverage"] == [
        {"year": Y, "area": LEIDEN_CODE, "municipality": LEIDEN_CODE, "municipalityName": "Leiden", "service": s,
         "initiatives": now, "previousYearInitiatives": before}
        for s, now, before in (("ontmoetingsplek", 1, 2), ("winkel", 0, 0), ("sociaal-loket", 0, 0))]
    assert document["volunteers"][0] == {"year": Y, "area": LEIDEN_CODE, "kind": "all", "initiativesReporting": 1,
                                         "volunteers": None}
    all_rows = [row for row in document["survival"] if row["grouping"] == "all"]
    assert [(r["years"], r["atRisk"], r["stopped"], r["censored"], r["survival"]) for r in all_rows] == SURVIVAL_ALL
    assert all(r["lower95"] <= r["survival"] <= r["upper95"] for r in all_rows)


@pytest.mark.parametrize(("query", "status", "names"), [
    ("", 400, ["year"]), ("year=abc", 400, ["year"]), (f"year={Y}&area=Leiden", 400, ["area"]),
    (f"year={Y + 1}", 404, None), (f"year={Y}&area=GM0000", 404, None), (f"year={Y}&area=PV99", 404, None)])
def test_the_api_refuses_what_it_cannot_answer_with_a_problem(client: Client, register, query, status, names):
    response = client.get(f"/api/v1/monitor?{query}")

    assert (response.status_code, response["Content-Type"]) == (status, "application/problem+json")
    if names:
        assert [param["name"] for param in response.json()["invalidParams"]] == names


def test_the_api_documents_the_monitor(client: Client, db):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/monitor"]["get"]

    assert [(p["name"], p["in"], p.get("required", False)) for p in operation["parameters"]] == [
        ("area", "query", False), ("year", "query", True)]
    assert {"200", "400", "404"} <= set(operation["responses"])
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][body]["properties"]) == {
        "year", "area", "registerVersion", "figures", "survival", "stopReasons", "coverage", "volunteers", "income"}


def test_the_footer_and_the_open_data_page_link_the_monitor(client: Client, db):
    assert 'href="/monitor"' in client.get("/over").content.decode()
    opendata = client.get("/opendata").content.decode()
    assert f'href="/monitor/{Y}"' in opendata
    assert f'href="/opendata/monitor/{Y}/figures.csv"' in opendata


def test_a_kept_monitor_page_is_not_computed_again(client: Client, register, django_assert_max_num_queries):
    client.get(f"/monitor/{Y}")
    client.get(f"/monitor/{Y}.pdf")
    with django_assert_max_num_queries(2):  # the register's version and the kept page
        again = client.get(f"/monitor/{Y}")
    assert again.status_code == 200
    with django_assert_max_num_queries(3):  # the register's version, the kept monitor and the kept PDF
        pdf = client.get(f"/monitor/{Y}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
