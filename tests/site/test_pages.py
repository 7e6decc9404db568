"""The public list (without JavaScript) and detail pages, in Dutch and English."""

from __future__ import annotations

import json
import re

from django.test import Client

from registry.models import Initiative, PublicationState
from tests.conftest import UTRECHT, make


def test_the_list_shows_published_initiatives_with_the_shared_filters(client: Client, leiden, utrecht):
    make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)

    everything = client.get("/initiatieven").content.decode()
    utrecht_only = client.get("/initiatieven?province=PV26").content.decode()

    assert '<html lang="nl">' in everything
    assert "2 initiatieven" in everything and "Concept" not in everything
    assert "1 initiatief<" in utrecht_only and "Buurtkamer De Linde" not in utrecht_only
    assert 'href="#content"' in everything  # skip link


def test_a_bad_filter_value_is_explained_not_an_error(client: Client, db):
    response = client.get("/initiatieven?kind=vliegveld&bbox=1,2")

    assert response.status_code == 400
    text = response.content.decode()
    assert "Sommige filters konden niet worden gebruikt" in text
    assert "vliegveld is geen beschikbare keuze" in text


def test_the_list_pages_keep_the_filters(client: Client, db):
    for number in range(25):
        make(f"Initiatief {number:02}", UTRECHT)

    second = client.get("/initiatieven?province=PV26&page=2").content.decode()

    assert "Pagina 2 van 2" in second
    assert 'href="?province=PV26&amp;page=1"' in second
    assert "Initiatief 20" in second and "Initiatief 19" not in second


def test_the_detail_page_has_every_public_fact_json_ld_and_open_graph(client: Client, leiden):
    response = client.get("/initiatieven/buurtkamer-de-linde")

    html = response.content.decode()
    assert response.status_code == 200
    for fact in ["Buurtkamer De Linde", "Ontmoetingsplek, Wijkrestaurant", "Subsidie, Donaties", "Breestraat 1",
                 "2311 CS Leiden", "Zuid-Holland", "VSBfonds", "Financier (subsidie, bijdrage) (2020–2022)",
                 "https://linde.example", f'href="/api/v1/initiatives/{leiden.pk}"',
                 '<meta property="og:title" content="Buurtkamer De Linde">']:
        assert fact in html, fact
    document = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert document["@type"] == "Organization"
    assert document["location"]["address"] == {"@type": "PostalAddress", "streetAddress": "Breestraat 1",
                                               "postalCode": "2311 CS", "addressLocality": "Leiden",
                                               "addressCountry": "NL"}
    assert document["location"]["geo"] == {"@type": "GeoCoordinates", "latitude": 52.1601, "longitude": 4.497}


def test_an_old_slug_redirects_permanently_and_unknown_or_draft_pages_are_404(client: Client, leiden):
    leiden.slug = "huiskamer-de-linde"
    leiden.save()
    draft = make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)

    old = client.get("/initiatieven/buurtkamer-de-linde")
    assert (old.status_code, old["Location"]) == (301, "/initiatieven/huiskamer-de-linde")
    assert client.get("/initiatieven/bestaat-niet").status_code == 404
    assert client.get(f"/initiatieven/{draft.slug}").status_code == 404
    assert Initiative.objects.count() == 2


def test_the_language_switch_gives_english_pages(client: Client, leiden):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/initiatieven"}, follow=True)

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "1 initiative<" in html and "Skip to content" in html
    # What the initiative wrote, in Dutch, is marked so (a screen reader reads it with a Dutch voice).
    detail = client.get(f"/initiatieven/{leiden.slug}").content.decode()
    assert f'<p class="utrecht-paragraph" lang="nl">{leiden.short_description}</p>' in detail


def test_a_partner_page_lists_its_published_initiatives_by_role(client: Client, leiden):
    make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)
    html = client.get("/partners/vsbfonds").content.decode()

    assert '<h1 class="utrecht-heading-1">VSBfonds</h1>' in html
    assert '<h2 class="utrecht-heading-2">Financier (subsidie, bijdrage) (1)</h2>' in html
    assert 'href="/initiatieven/buurtkamer-de-linde"' in html
    assert client.get("/partners/onbekend").status_code == 404


def test_area_pages_count_and_list_the_initiatives_of_a_province_or_municipality(client: Client, leiden, utrecht):
    province = client.get("/gebieden/PV28").content.decode()
    municipality = client.get("/gebieden/gm0546").content.decode()

    assert '<h1 class="utrecht-heading-1">Zuid-Holland</h1>' in province and "1 initiatief<" in province
    assert '<th scope="row">Bewonersinitiatief</th><td>1</td>' in province
    assert 'href="/gebieden/GM0546"' in province  # the province lists its municipalities
    assert '<h1 class="utrecht-heading-1">Leiden</h1>' in municipality and "Buurtkamer De Linde" in municipality
    assert "Energiecoöperatie Utrecht" not in municipality
    assert client.get("/gebieden/GM9999").status_code == 404


def test_the_detail_maps_pin_has_the_addresses_of_leaflets_own_images(client: Client, leiden):
    """Leaflet guesses the folder of its default pin's images from leaflet.css and misses the hashed
    names of the collected static files (Lighthouse found 404s for the retina image and the shadow):
    the map names each image by its static address, and each is a file the site serves."""
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    html = client.get(f"/initiatieven/{leiden.slug}").content.decode()
    options = json.loads(re.search(r"L\.Icon\.Default\.mergeOptions\((\{.*?\})\);", html).group(1))

    assert 'L.Icon.Default.imagePath = "";' in html
    assert options == {name: static(f"vendor/leaflet/images/{file}") for name, file in (
        ("iconUrl", "marker-icon.png"), ("iconRetinaUrl", "marker-icon-2x.png"), ("shadowUrl", "marker-shadow.png"))}
    assert all(finders.find(f"vendor/leaflet/images/{file}")
               for file in ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"))
