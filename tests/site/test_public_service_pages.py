"""What the issue of the map at national scale asked of the other public pages: the list sorted with
its results first, one way of writing numbers and dates per language, area pages with a map and a
complete paged list, and the footer's pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from tests.conftest import LEIDEN, UTRECHT, make


def names(html: str) -> list[str]:
    return re.findall(r'<h2 class="utrecht-heading-2"><a class="utrecht-link utrecht-link--html-a" '
                      r'href="/initiatieven/[^"]+">([^<]+)</a></h2>', html)


@pytest.fixture
def three(db) -> None:
    make("Appelhof", LEIDEN, place="Leiden", founded_year=2001, last_verified_on=datetime.date(2026, 1, 5))
    make("Bieb op de Hoek", UTRECHT, place="Utrecht", founded_year=2019)
    make("Cultuurhuis", Point(4.5, 52.17, srid=4326), place="Leiden", founded_year=1990,
         last_verified_on=datetime.date(2026, 6, 1))


def test_the_list_shows_its_results_before_its_filters(client: Client, three):
    html = client.get("/initiatieven").content.decode()

    assert html.index('class="utrecht-paragraph count"') < html.index("Appelhof") < html.index('id="filters-heading"')


@pytest.mark.parametrize("ordering, expected", [
    ("", ["Appelhof", "Bieb op de Hoek", "Cultuurhuis"]),
    ("-foundedYear", ["Bieb op de Hoek", "Appelhof", "Cultuurhuis"]),
    ("foundedYear", ["Cultuurhuis", "Appelhof", "Bieb op de Hoek"]),
    # Never verified comes last, not first as PostgreSQL would put NULL when descending.
    ("-lastVerifiedOn", ["Cultuurhuis", "Appelhof", "Bieb op de Hoek"]),
])
def test_the_list_sorts(client: Client, three, ordering, expected):
    html = client.get(f"/initiatieven?ordering={ordering}").content.decode()

    assert names(html) == expected
    assert re.search(rf'<option value="{re.escape(ordering)}" selected>', html)


def test_near_a_point_the_list_sorts_by_distance_and_says_how_far(client: Client, three):
    html = client.get("/initiatieven?near=4.4971,52.1601&radius=60000").content.decode()

    assert names(html) == ["Appelhof", "Cultuurhuis", "Bieb op de Hoek"]
    assert '<option value="" selected>Afstand, dichtstbij eerst</option>' in html
    # Leiden to Utrecht (about 43 km), with a decimal comma.
    assert "op 0,0 km" in html and re.search(r"op 4\d,\d km", html)
    # The sort form keeps the point, the filter form keeps the order and the point.
    assert '<input type="hidden" name="near" value="4.4971,52.1601">' in html


def test_numbers_and_dates_are_written_one_way_per_language(client: Client, db, settings):
    make("Gestopt in juni", LEIDEN, place="Leiden", status="gestopt", stopped_on=datetime.date(2025, 6, 16),
         stop_reason="menskracht")
    detail_nl = client.get("/initiatieven/gestopt-in-juni").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    detail_en = client.get("/initiatieven/gestopt-in-juni").content.decode()

    assert "16 juni 2025" in detail_nl
    assert "16 June 2025" in detail_en and "June 16, 2025" not in detail_en


def test_a_count_has_the_languages_thousands_separator(client: Client, db):
    from django.utils import translation

    from registry.site.templatetags.site_format import grouped

    with translation.override("nl"):
        assert grouped(1797) == "1.797"
    with translation.override("en"):
        assert grouped(1797) == "1,797"
    assert grouped(None) == ""


def test_an_area_page_has_a_map_of_every_status_and_a_complete_paged_list(client: Client, db):
    for number in range(23):
        make(f"Initiatief {number:02d}", Point(4.49 + number / 1000, 52.16, srid=4326), place="Leiden")

    first = client.get("/gebieden/GM0546").content.decode()
    second = client.get("/gebieden/GM0546?page=2").content.decode()

    assert 'id="map_initiatives"' in first
    assert '"lockedQuery": "municipality=GM0546\\u0026status=actief\\u0026status=gepauzeerd\\u0026status=gestopt"' \
        in first
    assert '"writesAddress": false' in first
    assert "1 tot en met 20 van 23, op naam." in first and "Initiatief 19" in first and "Initiatief 20" not in first
    assert "Initiatief 20" in second and "Initiatief 22" in second and "Initiatief 00" not in second
    assert 'href="?page=2#area-list"' in first


def test_an_initiative_names_its_municipality_and_province_as_such(client: Client, utrecht):
    html = client.get(f"/initiatieven/{utrecht.slug}").content.decode()

    assert ('>Gemeente Utrecht</a>, <a class="utrecht-link utrecht-link--html-a" href="/gebieden/PV26">'
            'provincie Utrecht</a>') in html


@pytest.mark.parametrize("path, heading", [("/over", "Over het register"), ("/contact", "Contact"),
                                           ("/privacy", "Privacyverklaring"),
                                           ("/toegankelijkheid", "Toegankelijkheidsverklaring"),
                                           ("/licentie", "Datalicentie")])
def test_every_page_has_a_footer_with_the_pages_a_public_service_owes(client: Client, db, path, heading):
    html = client.get(path).content.decode()

    assert f'<h1 class="utrecht-heading-1">{heading}</h1>' in html
    footer = html[html.index('<footer class="utrecht-page-footer site-footer">'):]
    for link in ("/over", "/contact", "/privacy", "/toegankelijkheid", "/licentie"):
        assert f'href="{link}"' in footer
    assert '<footer class="utrecht-page-footer site-footer">' in client.get("/initiatieven").content.decode()


def test_the_privacy_statement_says_what_the_forms_collect_and_whom_to_ask(client: Client, db, settings):
    html = client.get("/privacy").content.decode()

    for words in ("uw naam, uw e-mailadres en uw bericht", "Hoe lang we het bewaren", settings.CONTACT_EMAIL,
                  "Autoriteit Persoonsgegevens"):
        assert words in html


def test_the_open_data_pages_example_address_answers(client: Client, leiden):
    html = client.get("/opendata").content.decode()
    example = re.search(r'href="(/opendata/initiatives\.csv\?[^"]+)"', html).group(1).replace("&amp;", "&")

    assert client.get(example).status_code == 200
