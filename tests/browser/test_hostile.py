"""A hostile name in a real browser: shown as text on the pages, the map's tooltip and the list,
with no script run (no dialog opens) and nothing refused by the Content-Security-Policy (the
`page` fixture fails the test on a refusal or a JavaScript error)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.gis.geos import Point

from registry import actions
from registry.models import Initiative, Kind, PublicationState
from tests.browser.conftest import Site

HOSTILE_NAME = "<img src=x onerror=alert(1)>{{ 7*7 }}</script><script>alert(2)</script>`${alert(3)}`"


@pytest.fixture(scope="module")
def hostile(site: Site, django_db_blocker: Any) -> Iterator[Initiative]:
    with django_db_blocker.unblock():
        initiative = Initiative(name=HOSTILE_NAME, kind=Kind.objects.get(code="bewonersinitiatief"),
                                location=Point(4.4970, 52.1601, srid=4326), short_description=HOSTILE_NAME,
                                publication_state=PublicationState.PUBLISHED)
        initiative.full_clean()
        # Saved as every write is, so that the search (which reads what is prepared then) finds it.
        initiative = actions.save_edit(initiative, None, acting_user=None)
    yield initiative
    with django_db_blocker.unblock():
        initiative.delete()


def test_a_hostile_name_is_text_on_the_detail_page_and_in_the_map_tooltip(page: Any, site: Site, hostile):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(site(f"/initiatieven/{hostile.slug}"))
    page.locator("#map_location .leaflet-marker-icon").hover()

    assert page.locator("h1").inner_text() == HOSTILE_NAME
    assert page.locator(".leaflet-tooltip").inner_text() == HOSTILE_NAME
    assert page.locator("#map_location .leaflet-marker-icon").get_attribute("alt") == HOSTILE_NAME
    assert page.locator("main img[src='x']").count() == 0
    assert dialogs == []


def test_a_hostile_name_is_text_in_the_list_and_the_search(page: Any, site: Site, hostile):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(site("/initiatieven?q=" + quote("onerror")))

    assert HOSTILE_NAME in page.locator("main").inner_text()
    assert page.locator("main img[src='x']").count() == 0
    assert dialogs == []
