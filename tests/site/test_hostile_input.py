"""User-written text is shown as text everywhere: hostile names and descriptions add no element,
no attribute and no script to any page, public or for maintainers.

Each page is rendered twice, once for records with ordinary text and once for the same records
with hostile text, and the two documents must have the same structure: the same elements with
the same attributes, in the same order (an injected tag or attribute changes it), and the
hostile text must come back as text.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from django.test import Client
from django.urls import reverse

from registry import actions
from registry.models import (
    DuplicateCandidate,
    Initiative,
    Kind,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    PublicationState,
    Service,
    Suggestion,
    SuggestionKind,
)
from tests.maintainers import administrator

HOSTILE = [
    '<script>alert("naam")</script>',
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(1)</script>",
    "`${alert(1)}`\\u",
    "'); alert(1); //",
    "{{ request.META }}{% debug %}",
    "<!-- <style>body{display:none}</style>",
]
ORDINARY = "Gewone buurtvereniging"


class Structure(HTMLParser):
    """The elements of a document with the names of their attributes; text is left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, tuple[str, ...]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, tuple(sorted(name for name, _value in attrs))))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.elements.append(("/" + tag, ()))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.elements.append(("!--", ()))


def structure(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    parser.close()
    return parser


def world(text: str, by: Any) -> dict[str, Any]:
    """An initiative with a partner, a look-alike draft (a duplicate candidate) and a suggested
    correction, all with `text` in every text field."""
    kind = Kind.objects.get(code="bewonersinitiatief")
    initiative = Initiative(
        name=f"{text} A", kind=kind, location=Point(4.4970, 52.1601, srid=4326),
        short_description=text, description=f"{text}\n\n{text}", place=text[:100], street=text[:200],
        house_number="1", postcode="2311 CS", publication_state=PublicationState.PUBLISHED,
        last_verified_on=datetime.date(2026, 3, 1), source=text[:200])
    actions.save_edit(initiative, None, acting_user=by)
    initiative.services.set(Service.objects.filter(code="ontmoetingsplek"))
    partner = Partner.objects.create(name=f"{text} partner", kind=PartnerKind.objects.get(code="overig"))
    Partnership.objects.create(initiative=initiative, partner=partner, note=text,
                               role=PartnershipRole.objects.get(code="samenwerking"))
    twin = Initiative(name=f"{text} A", kind=kind, location=Point(4.4975, 52.1603, srid=4326),
                      publication_state=PublicationState.DRAFT)
    actions.save_edit(twin, None, acting_user=by)
    suggestion = Suggestion.objects.create(
        kind=SuggestionKind.CORRECTION, initiative=initiative, message=text,
        proposed={"name": f"{text} nieuw", "short_description": text}, submitter_name=text[:200],
        submitter_email="iemand@example.org")
    assert DuplicateCandidate.objects.count() == 1
    return {"initiative": Initiative.objects.get(pk=initiative.pk), "partner": partner, "suggestion": suggestion}


PUBLIC_PAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "detail": lambda w: reverse("registry:initiative", args=[w["initiative"].slug]),
    "list": lambda w: reverse("registry:initiatives") + "?q=" + w["initiative"].name.split()[-1],
    "partner": lambda w: reverse("registry:partner", args=[w["partner"].slug]),
    "area": lambda w: reverse("registry:area", args=[w["initiative"].municipality.code]),
    "correction form": lambda w: reverse("registry:suggest-correction", args=[w["initiative"].slug]),
}
ADMIN_PAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "changelist": lambda w: reverse("admin:registry_initiative_changelist"),
    "change form": lambda w: reverse("admin:registry_initiative_change", args=[w["initiative"].pk]),
    "history": lambda w: reverse("admin:registry_initiative_history", args=[w["initiative"].pk]),
    "partner": lambda w: reverse("admin:registry_partner_change", args=[w["partner"].pk]),
    "suggestion": lambda w: reverse("admin:registry_suggestion_change", args=[w["suggestion"].pk]),
    "duplicates": lambda w: reverse("admin:registry_duplicatecandidate_changelist") + "?decision__exact=open",
}


def render_both(client: Client, text: str, page: Callable[[dict[str, Any]], str], by: Any) -> list[str]:
    """The page for ordinary records, then for hostile ones: each world is rolled back after its page."""
    pages = []
    for words in (ORDINARY, text):
        with transaction.atomic():
            records = world(words, by)
            response = client.get(page(records))
            assert response.status_code == 200, (response.status_code, page(records))
            pages.append(response.content.decode())
            transaction.set_rollback(True)
    return pages


def assert_same_structure(ordinary: str, hostile: str, text: str) -> None:
    assert structure(hostile).elements == structure(ordinary).elements
    assert any(text in chunk for chunk in structure(hostile).text), "the hostile text is shown as text"


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_pages_show_hostile_text_as_text(client: Client, db, page, text):
    ordinary, hostile = render_both(client, text, PUBLIC_PAGES[page], by=administrator())

    assert_same_structure(ordinary, hostile, text)


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_show_hostile_text_as_text(client: Client, db, page, text):
    user = administrator()
    client.force_login(user)

    ordinary, hostile = render_both(client, text, ADMIN_PAGES[page], by=user)

    assert_same_structure(ordinary, hostile, text)


@pytest.mark.parametrize("text", HOSTILE)
def test_the_json_ld_and_the_map_script_keep_hostile_text_inside_their_strings(client: Client, db, text):
    initiative = world(text, administrator())["initiative"]

    html = client.get(reverse("registry:initiative", args=[initiative.slug])).content.decode()

    scripts = [chunk for chunk in html.split("<script")[1:] if "src=" not in chunk.split(">", 1)[0]]
    json_ld = json.loads(scripts[0].split(">", 1)[1].split("</script>", 1)[0])
    assert json_ld["name"] == initiative.name
    assert json_ld["description"] == text
    assert len(scripts) == 2  # the JSON-LD and the map: no script was added or cut short


@pytest.mark.parametrize("text", HOSTILE)
def test_the_api_returns_hostile_text_unchanged_as_json(client: Client, db, text):
    initiative = world(text, administrator())["initiative"]

    response = client.get(f"/api/v1/initiatives/{initiative.pk}")

    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["name"] == f"{text} A"
    assert response.json()["shortDescription"] == text
