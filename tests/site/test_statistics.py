"""The statistics page: counts of published initiatives as tables, charts and a choropleth."""

from __future__ import annotations

import datetime
import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from registry.models import Initiative, PublicationState, Service, Status
from registry.site.statistics import PALETTE, ZERO_COLOUR, Count, bar_chart, class_breaks, colour_classes, nice_step
from tests.conftest import LEIDEN, UTRECHT, make

LEIDEN_CODE, UTRECHT_CODE, AMSTERDAM_CODE = "GM0546", "GM0344", "GM0363"


class Tables(HTMLParser):
    """The rows of every table with an id, as lists of cell texts (th and td alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id"):
            self._table = dict(attrs)["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, dict[str, list[str]]]:
    """Each table by id: its body rows by their first cell (the header row is left out)."""
    parser = Tables()
    parser.feed(html)
    return {name: {row[0]: row[1:] for row in rows[1:]} for name, rows in parser.tables.items()}


def counts(table: dict[str, list[str]]) -> dict[str, int]:
    return {label: int(cells[-1]) for label, cells in table.items()}


def choropleth(html: str) -> tuple[dict[str, int], dict[str, str]]:
    """From the map script: the count per municipality code, and its fill colour (the folium style
    function becomes a switch over feature ids, with the most common style as the default)."""
    script = re.search(r"<script>(.*?)</script>\s*</main>", html, re.S).group(1)
    data = json.loads(re.search(r"_add\((\{.*\})\);", script).group(1))
    styler = re.search(r"_styler\(feature\) \{(.*?)default:\s*return (\{.*?\});", script, re.S)
    default = json.loads(styler.group(2))["fillColor"]
    cases = {code: json.loads(style)["fillColor"]
             for block, style in re.findall(r"((?:case \"GM\d{4}\": )+)\s*return (\{.*?\});", styler.group(1))
             for code in re.findall(r"GM\d{4}", block)}
    features = data["features"]
    return ({feature["id"]: feature["properties"]["count"] for feature in features},
            {feature["id"]: cases.get(feature["id"], default) for feature in features})


@pytest.fixture
def initiatives(leiden: Initiative, utrecht: Initiative) -> None:
    """Three published initiatives (two in Leiden, one in Utrecht) and two that are not published."""
    shop = make("Dorpswinkel Leiden", LEIDEN, kind="dorpscooperatie", founded_year=2015, status=Status.STOPPED,
                stopped_on=datetime.date(2021, 6, 1), stop_reason="financiering")
    shop.services.set(Service.objects.filter(code__in=["winkel", "ontmoetingsplek"]))
    draft = make("Concept", UTRECHT, kind="buurtcooperatie", founded_year=2010, status=Status.STOPPED,
                 stopped_on=datetime.date(2023, 1, 1), stop_reason="menskracht",
                 publication_state=PublicationState.DRAFT)
    draft.services.set(Service.objects.filter(code="energie"))
    make("Archief", UTRECHT, kind="zorgcooperatie", founded_year=2001, publication_state=PublicationState.ARCHIVED)


def test_the_tables_count_the_published_initiatives_only(client: Client, initiatives: None):
    html = client.get("/statistieken").content.decode()
    found = tables(html)

    assert counts(found["table-kind"]) == {"Bewonersinitiatief": 1, "Buurtcoöperatie": 1, "Dorpscoöperatie": 1,
                                           "Bewonersbedrijf": 0, "Wijkonderneming": 0, "Zorgcoöperatie": 0}
    services = counts(found["table-service"])
    assert (services["Ontmoetingsplek"], services["Wijkrestaurant"], services["Dorps- of buurtwinkel"],
            services["Energie"], services["Dagbesteding"]) == (2, 1, 1, 1, 0)
    assert len(services) == Service.objects.count()
    assert next(iter(services)) == "Ontmoetingsplek"  # largest first
    provinces = counts(found["table-province"])
    assert (provinces["Zuid-Holland"], provinces["Utrecht"], provinces["Noord-Holland"]) == (2, 1, 0)
    assert len(provinces) == 12
    assert counts(found["table-status"]) == {"Actief": 2, "Gestopt": 1, "Gepauzeerd": 0}
    reasons = counts(found["table-stop-reason"])
    assert reasons["Gebrek aan financiering"] == 1 and reasons["Gebrek aan mensen"] == 0  # the draft's reason
    assert sum(reasons.values()) == 1
    assert "3 published initiatives" in html or "3 gepubliceerde initiatieven" in html


def test_the_years_trend_counts_founded_and_stopped_per_year(client: Client, initiatives: None):
    found = tables(client.get("/statistieken").content.decode())

    years = {year: [int(cell) for cell in cells] for year, cells in found["table-years"].items()}
    # from the first to the last year in the data, years without either included; not the draft's 2010 or 2023
    # nor the archived 2001
    assert list(years) == [str(year) for year in range(2015, 2022)]
    assert years["2015"] == [2, 0] and years["2019"] == [1, 0] and years["2021"] == [0, 1]
    assert sum(founded for founded, _ in years.values()) == 3


def test_the_choropleth_counts_and_colours_each_municipality(client: Client, initiatives: None):
    html = client.get("/statistieken").content.decode()

    per_municipality, colours = choropleth(html)
    assert len(per_municipality) == 342  # every current municipality
    assert [per_municipality[code] for code in (LEIDEN_CODE, UTRECHT_CODE, AMSTERDAM_CODE)] == [2, 1, 0]
    # two classes from the data (1 and 2), spread to both ends of the palette; 0 has its own colour
    assert (colours[LEIDEN_CODE], colours[UTRECHT_CODE], colours[AMSTERDAM_CODE]) == (
        PALETTE[-1], PALETTE[0], ZERO_COLOUR)
    # the legend says the same in text, and the table has every municipality
    legend = re.search(r'<div class="legend".*?</ul>', html, re.S).group(0)
    assert re.findall(r"background-color: (#\w+)\"></span>\s*<span>(\d+(?:–\d+)?) ", legend) == [
        (ZERO_COLOUR, "0"), (PALETTE[0], "1"), (PALETTE[-1], "2")]
    municipalities = counts(tables(html)["table-municipalities"])
    assert (municipalities["Leiden"], municipalities["Utrecht"], municipalities["Amsterdam"]) == (2, 1, 0)
    element = re.search(r'<div class="map" id="(\w+)" role="region"\s+aria-label="([^"]+)"', html)
    assert element.group(2) == "Kaart: gepubliceerde initiatieven per gemeente"
    assert f'L.map("{element.group(1)}"' in html


def test_the_charts_are_described_and_show_the_numbers(client: Client, initiatives: None):
    html = client.get("/statistieken").content.decode()

    charts = re.findall(r'<svg class="chart [^"]*"[^>]*role="img" aria-labelledby="([\w-]+)"', html)
    assert charts == ["chart-kind-title", "chart-service-title", "chart-province-title", "chart-status-title",
                      "chart-stop-reason-title", "chart-years-title"]
    status = re.search(r'<title id="chart-status-title">(.*?)</title>', html).group(1)
    assert "Actief (2)" in status and "Gepauzeerd (0)" in status
    years = re.search(r'<title id="chart-years-title">(.*?)</title>', html).group(1)
    assert "2015" in years and "2021" in years
    kind_chart = re.search(r'<svg class="chart bar-chart".*?</svg>', html, re.S).group(0)
    assert re.findall(r'<text class="value"[^>]*>(\d+)</text>', kind_chart) == ["1", "1", "1", "0", "0", "0"]
    assert 'width="85.0%"' in kind_chart  # the longest bar


def test_the_page_in_english_uses_the_english_labels(client: Client, initiatives: None):
    client.cookies["django_language"] = "en"
    html = client.get("/statistieken").content.decode()

    assert '<html lang="en">' in html
    assert '<h1 class="utrecht-heading-1">Statistics</h1>' in html and "3 published initiatives" in html
    found = tables(html)
    assert counts(found["table-kind"])["Residents' initiative"] == 1
    assert counts(found["table-service"])["Village or neighbourhood shop"] == 1
    assert counts(found["table-status"]) == {"Active": 2, "Stopped": 1, "Paused": 0}
    assert counts(found["table-stop-reason"])["Lack of funding"] == 1
    per_municipality, _ = choropleth(html)
    assert per_municipality[LEIDEN_CODE] == 2
    assert '"label": "Leiden: 2 initiatives"' in html


def test_every_script_and_stylesheet_comes_from_the_site_itself(client: Client, initiatives: None):
    html = client.get("/statistieken").content.decode()

    sources = re.findall(r"<script[^>]*\ssrc=\"([^\"]*)\"", html) + re.findall(r"<link[^>]*\shref=\"([^\"]*)\"", html)
    assert "/static/vendor/leaflet/leaflet.js" in sources and "/static/registry/statistics.css" in sources
    assert [source for source in sources if not source.startswith("/") or source.startswith("//")] == []
    assert not re.search(r"d3(\.v\d)?(\.min)?\.js|cdn", html, re.I)  # nothing of branca's colour maps either
    assert len(html.encode()) < 500_000  # simplified boundaries keep the page small


def test_an_empty_register_still_has_a_page(client: Client, db: None):
    html = client.get("/statistieken").content.decode()

    assert "0 published initiatives" in html or "0 gepubliceerde initiatieven" in html
    per_municipality, colours = choropleth(html)
    assert set(per_municipality.values()) == {0} and set(colours.values()) == {ZERO_COLOUR}
    assert 'id="table-years"' not in html


def test_class_breaks_follow_the_data():
    counts_ = [0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 6, 8, 9, 12, 30]

    assert class_breaks(counts_) == [(1, 1), (2, 3), (4, 5), (6, 9), (10, 30)]
    assert class_breaks([0, 0]) == []
    assert class_breaks([4, 4, 4]) == [(1, 4)]
    classes = colour_classes(counts_)
    assert [(entry.label, entry.colour, entry.municipalities) for entry in classes] == [
        ("0", ZERO_COLOUR, 2), ("1", PALETTE[0], 3), ("2–3", PALETTE[1], 3), ("4–5", PALETTE[2], 2),
        ("6–9", PALETTE[3], 3), ("10–30", PALETTE[4], 2)]


def test_bar_geometry_and_nice_steps():
    chart = bar_chart("chart-test", "Test", [Count("a", 40), Count("b", 10), Count("c", 0)])

    assert [(bar.percent, bar.bar_y) for bar in chart.bars] == [(85.0, 20), (21.25, 60), (0.0, 100)]
    assert chart.height == 120
    assert "Grootste: a (40); kleinste: c (0)" in chart.summary
    assert [nice_step(value) for value in (0, 3, 7, 21, 73, 340)] == [1, 1, 2, 5, 20, 100]
