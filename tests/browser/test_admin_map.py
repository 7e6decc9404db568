"""The admin's map in a real browser, under the Content-Security-Policy: an editor places, drags,
types and clears a point; a new postcode moves a point that came from the postcode, and asks
first about a point placed by hand. Any refused script or failed resource fails the test (the
`page` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point

from geo.models import Postcode
from registry.models import Initiative, Kind, LocationPrecision, PublicationState
from tests.browser.conftest import Site, axe_violations
from tests.maintainers import editor, reviewer

PASSWORD = "secret"  # tests.maintainers gives every user this password
LEIDEN_EXACT = (4.4970, 52.1601)


@pytest.fixture(scope="module")
def records(site: Site, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """An editor for Zuid-Holland, a reviewer, and two Leiden records: one with a point placed by
    hand, one whose point is the centre of its postcode area. Committed, for the live server."""
    with django_db_blocker.unblock():
        kind = Kind.objects.get(code="bewonersinitiatief")
        placed = Initiative(name="Buurthuis Kaartproef", kind=kind, postcode="2311 EZ", place="Leiden",
                            location=Point(*LEIDEN_EXACT, srid=4326), publication_state=PublicationState.PUBLISHED)
        placed.full_clean()
        placed.save()
        placed_too = Initiative(name="Dorpshuis Vraagproef", kind=kind, postcode="2311 EZ", place="Leiden",
                                location=Point(*LEIDEN_EXACT, srid=4326),
                                publication_state=PublicationState.PUBLISHED)
        placed_too.full_clean()
        placed_too.save()
        from_postcode = Initiative(name="Buurtkamer Postcodeproef", kind=kind, postcode="2312 AB", place="Leiden",
                                   publication_state=PublicationState.PUBLISHED)
        from_postcode.full_clean()
        from_postcode.save()
        users = [editor("kaart-redacteur"), reviewer("kaart-meelezer", "PV28")]
    yield {"placed": placed.pk, "placed_too": placed_too.pk, "from_postcode": from_postcode.pk}
    with django_db_blocker.unblock():
        get_user_model().objects.filter(pk__in=[user.pk for user in users]).delete()


def log_in(page: Any, site: Site, username: str) -> None:
    page.goto(site("/admin/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(site("/admin/"))


def open_record(page: Any, site: Site, pk: int) -> None:
    page.goto(site(f"/admin/registry/initiative/{pk}/change/"))
    page.locator(".point-map__map canvas").first.wait_for()
    page.locator(".point-map__map").scroll_into_view_if_needed()


def save_and_continue(page: Any) -> None:
    page.click("input[name=_continue]")
    page.wait_for_load_state()


def stored(pk: int) -> Initiative:
    return Initiative.objects.get(pk=pk)


def centre_of(pc4: str) -> tuple[float, float]:
    location = Postcode.objects.get(pc4=pc4).location
    return (location.x, location.y)


def test_an_editor_places_drags_types_and_clears_the_point(page: Any, site: Site, records: dict[str, Any]):
    pk = records["placed"]
    log_in(page, site, "kaart-redacteur")
    open_record(page, site, pk)
    coordinates = page.locator(".point-map__coordinates")
    assert coordinates.input_value() == "52.160100, 4.497000"
    assert axe_violations(page, within=".field-location") == []

    # A click 60 px east of the point (the map is centred on it) moves it there.
    box = page.locator(".point-map__map").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(centre[0] + 60, centre[1])
    page.wait_for_function("() => document.querySelector('.point-map__coordinates').value !== '52.160100, 4.497000'")
    save_and_continue(page)
    clicked = stored(pk)
    assert clicked.location.x > LEIDEN_EXACT[0] + 0.0005 and abs(clicked.location.y - LEIDEN_EXACT[1]) < 0.0002
    assert clicked.location_precision == LocationPrecision.EXACT

    # Dragged back 60 px west: the point follows the mouse.
    open_record(page, site, pk)
    box = page.locator(".point-map__map").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*centre)
    page.mouse.down()
    page.mouse.move(centre[0] - 30, centre[1], steps=5)
    page.mouse.move(centre[0] - 60, centre[1], steps=5)
    page.mouse.up()
    save_and_continue(page)
    dragged = stored(pk)
    assert abs(dragged.location.x - LEIDEN_EXACT[0]) < 0.0002 < abs(dragged.location.x - clicked.location.x)

    # Typed coordinates, for whoever knows them (or does not use a mouse).
    open_record(page, site, pk)
    coordinates.fill("52.16111, 4.49222")
    coordinates.press("Tab")
    save_and_continue(page)
    assert stored(pk).location.coords == (4.49222, 52.16111)

    # Cleared: the centre of the postcode area, marked approximate.
    open_record(page, site, pk)
    page.click(".point-map__clear")
    save_and_continue(page)
    cleared = stored(pk)
    assert cleared.location.coords == centre_of("2311")
    assert cleared.location_precision == LocationPrecision.POSTCODE


def test_an_untouched_point_is_saved_unchanged(page: Any, site: Site, records: dict[str, Any]):
    pk = records["from_postcode"]
    before = stored(pk)
    versions = before.history.count()
    log_in(page, site, "kaart-redacteur")
    open_record(page, site, pk)
    page.fill("#id_short_description", "Koffie en een krant, elke ochtend.")
    save_and_continue(page)

    after = stored(pk)
    assert after.location.coords == before.location.coords
    assert after.location_precision == LocationPrecision.POSTCODE
    latest = after.history.latest()
    assert after.history.count() == versions + 1
    assert [change.field for change in latest.diff_against(latest.prev_record).changes] == ["short_description"]


def test_a_new_postcode_moves_a_point_that_came_from_the_old_one(page: Any, site: Site, records: dict[str, Any]):
    pk = records["from_postcode"]
    log_in(page, site, "kaart-redacteur")
    open_record(page, site, pk)
    page.fill("#id_postcode", "2313 AB")
    save_and_continue(page)

    moved = stored(pk)
    assert (moved.postcode, moved.location.coords) == ("2313 AB", centre_of("2313"))
    assert moved.location_precision == LocationPrecision.POSTCODE
    assert "2313 AB" in page.locator(".messagelist .warning").inner_text()
    assert page.locator(".point-map__coordinates").input_value() == "52.150800, 4.498700"


def test_a_new_postcode_under_a_placed_point_asks_first(page: Any, site: Site, records: dict[str, Any]):
    pk = records["placed_too"]
    log_in(page, site, "kaart-redacteur")
    open_record(page, site, pk)
    page.fill("#id_postcode", "2314 AB")
    save_and_continue(page)

    question = page.locator(".field-point_after_postcode")
    assert "2311 EZ" in question.locator(".errorlist").inner_text()
    assert stored(pk).postcode == "2311 EZ"  # nothing saved yet
    assert axe_violations(page, within=".field-point_after_postcode") == []
    question.locator("input[value=keep]").check()
    save_and_continue(page)
    kept = stored(pk)
    assert (kept.postcode, kept.location.coords, kept.location_precision) == (
        "2314 AB", LEIDEN_EXACT, LocationPrecision.EXACT)

    open_record(page, site, pk)
    page.fill("#id_postcode", "2315 AB")
    save_and_continue(page)
    page.locator(".field-point_after_postcode input[value=move]").check()
    save_and_continue(page)
    moved = stored(pk)
    assert (moved.postcode, moved.location.coords, moved.location_precision) == (
        "2315 AB", centre_of("2315"), LocationPrecision.POSTCODE)


def test_a_point_outside_the_editors_region_is_refused_on_the_map_field(page: Any, site: Site,
                                                                        records: dict[str, Any]):
    pk = records["placed"]
    before = stored(pk)
    log_in(page, site, "kaart-redacteur")
    open_record(page, site, pk)
    page.fill(".point-map__coordinates", "53.2194, 6.5665")  # Groningen
    page.press(".point-map__coordinates", "Tab")
    save_and_continue(page)

    # Still the form, with the stored record's region, so the editor can put the point right.
    assert "Groningen" in page.locator(".field-location .errorlist").inner_text()
    assert page.locator("input[name=_continue]").count() == 1
    assert page.locator(".point-map__coordinates").input_value() == "53.219400, 6.566500"
    assert stored(pk).location.coords == before.location.coords


def test_a_reviewer_sees_the_record_without_a_map_to_change(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, "kaart-meelezer")
    page.goto(site(f"/admin/registry/initiative/{records['placed']}/change/"))

    assert page.locator("input[name=_continue]").count() == 0
    assert page.locator(".point-map__clear").count() == 0
    assert page.locator(".field-point_after_postcode").count() == 0
    assert page.locator(".field-location").count() == 1
