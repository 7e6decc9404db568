"""Walking the register by cursor (keyset paging): each record that stays unchanged comes exactly
once, whatever is created, changed or deleted between the pages; page numbers keep working; a
cursor that is not one is a clear 400."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from registry import actions
from registry.models import Initiative
from tests.conftest import make

pytestmark = pytest.mark.django_db

NAMES = ["Buurthuis", "Dorpswinkel", "Zorgcoöperatie", "Energie", "Wijkrestaurant", "Moestuin", "Repair Café"]


def a_register(count: int, rng: random.Random) -> list[Initiative]:
    return [make(f"{rng.choice(NAMES)} {number:03d}",
                 Point(4.45 + rng.random() / 10, 52.13 + rng.random() / 20, srid=4326),
                 founded_year=rng.choice([None, 1990, 2010, 2020]))
            for number in range(count)]


def walk(client: Any, first: str, between: Any = None) -> list[dict[str, Any]]:
    seen, url, pages = [], first, 0
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        seen += body["results"]
        url, pages = body["next"], pages + 1
        assert body["previous"] is None
        if between is not None and url:
            between(pages)
    return seen


@pytest.mark.parametrize("ordering", ["", "&ordering=-foundedYear", "&ordering=updatedAt", "&ordering=-name"])
def test_a_walk_returns_each_unchanged_record_exactly_once_while_others_change(client, ordering: str):
    rng = random.Random(3)
    register = a_register(60, rng)
    changed: set[int] = set()

    def meanwhile(page: int) -> None:
        # New records that sort before and after where the walk is, an edit that moves a record, a deletion.
        make(f"Aaa nieuw {page}", Point(4.5, 52.15, srid=4326), founded_year=2000)
        make(f"Zzz nieuw {page}", Point(4.5, 52.15, srid=4326), founded_year=None)
        untouched = [record for record in register if record.pk not in changed]
        moved, gone = rng.sample(untouched, 2)
        before = Initiative.objects.get(pk=moved.pk)
        moved.name, moved.founded_year = f"Anders {page}", 1975
        actions.save_edit(moved, before, acting_user=None)
        actions.delete(gone, acting_user=None)
        changed.update({moved.pk, gone.pk})

    seen = walk(client, f"/api/v1/initiatives?pageSize=7&cursor={ordering}", meanwhile)

    ids = [record["id"] for record in seen]
    unchanged = {record.pk for record in register} - changed
    assert {pk: ids.count(pk) for pk in unchanged} == dict.fromkeys(unchanged, 1)
    assert len(changed) >= 8  # the walk met changes (a moved record may come again at its new place)


def test_a_walk_follows_the_same_order_as_the_numbered_pages(client):
    a_register(23, random.Random(5))
    by_number = [record["id"] for record in client.get("/api/v1/initiatives?pageSize=100&ordering=-foundedYear")
                 .json()["results"]]
    by_cursor = [record["id"] for record in
                 walk(client, "/api/v1/initiatives?pageSize=4&ordering=-foundedYear&cursor=")]
    assert by_cursor == by_number
    first = client.get("/api/v1/initiatives?pageSize=4&cursor=").json()
    assert first["count"] == 23 and len(first["results"]) == 4 and "cursor=" in first["next"]
    assert client.get("/api/v1/initiatives?pageSize=4&page=2").json()["next"].endswith("page=3&pageSize=4")


@pytest.mark.parametrize(("query", "field", "message"), [
    ("cursor=bm90IGEgY3Vyc29y", "cursor", "Not a cursor of this list: start again without one, or with an empty "
                                          "cursor."),
    ("cursor=%%%", "cursor", "Not a cursor of this list: start again without one, or with an empty cursor."),
    ("cursor={other}", "cursor", "Not a cursor of this list: start again without one, or with an empty cursor."),
    ("cursor=&page=2", "cursor", "Give either page or cursor: a walk by cursor has no page numbers."),
    ("cursor=&q=buurthuis", "cursor", "A walk by cursor needs a sort by a column (ordering=name, foundedYear, "
                                      "updatedAt or lastVerifiedOn); with near or q, give one."),
])
def test_a_cursor_that_is_not_one_is_a_clear_400(client, in_english, query: str, field: str, message: str):
    a_register(5, random.Random(7))
    other = client.get("/api/v1/initiatives?pageSize=2&ordering=foundedYear&cursor=").json()["next"].split(
        "cursor=")[1].split("&")[0]  # a cursor of another sort

    answer = client.get("/api/v1/initiatives?" + query.format(other=other))

    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["invalidParams"] == [{"name": field, "reason": message}]
