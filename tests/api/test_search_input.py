"""The API's `q` is the register's one search (registry.search): whatever a client sends, it answers
normally or with a problem document that names `q`; never a 500."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.conftest import LEIDEN, UTRECHT, make

HOSTILE = [
    "&", "|", "!", ":*", "winkel:*", "!winkel", "winkel & !zorg", "(winkel | zorg)", "'winkel'", '"dorps winkel"',
    "'; DROP TABLE registry_initiative; --", "<script>alert(1)</script>", "%", "_", "\\", "{{ q }}", "\t\n\r",
    "\x01\x02\x1b[31m", "\u202eknilw", "Дорпсвинкел", "東京 winkel", "🙂", "ｗｉｎｋｅｌ", "w" * 200,
    "winkel " * 28, ".-.-.-", "ÅÄÖ ß ø æ",
]


@pytest.fixture
def register(db):
    make("Dorpswinkel Oud-Leiden", LEIDEN, kind="bewonersbedrijf", place="Leiden", services=["winkel"])
    make("Zorgcoöperatie Hart van Utrecht", UTRECHT, kind="zorgcooperatie", place="Utrecht",
         services=["dagbesteding"])


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("path", ["/api/v1/initiatives", "/api/v1/initiatives/map", "/api/v1/stats",
                                  "/api/v1/initiatives?format=geojson"])
def test_any_text_is_answered_without_an_error(client, register, path, text):
    response = client.get(f"{path}{'&' if '?' in path else '?'}{urlencode({'q': text})}")
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize(("text", "expected"), [
    # The operators are not operators: every word counts, "!zorg" too.
    ("winkel & !zorg", []),
    ("(winkel | zorg)", []),
    ("winkel & !", ["Dorpswinkel Oud-Leiden"]),
    ("winkel:*", ["Dorpswinkel Oud-Leiden"]),
    ("ｗｉｎｋｅｌ", ["Dorpswinkel Oud-Leiden"]),
    ("zorg cooperatie", ["Zorgcoöperatie Hart van Utrecht"]),
    ("dagbestedding utreht", ["Zorgcoöperatie Hart van Utrecht"]),
    ("!!!", []),
])
def test_query_syntax_only_separates_words(client, register, text, expected):
    body = client.get(f"/api/v1/initiatives?{urlencode({'q': text})}").json()
    assert [r["name"] for r in body["results"]] == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("w" * 201, "Zorg dat deze waarde niet meer dan 200 tekens bevat (het zijn er nu 201)."),
    ("win\x00kel", "Tekst mag geen NUL-tekens bevatten."),
])
def test_a_text_too_long_or_with_a_null_is_a_problem_document(client, register, text, reason):
    response = client.get(f"/api/v1/initiatives?{urlencode({'q': text})}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["invalidParams"] == [{"name": "q", "reason": reason}]


def test_results_come_best_first_unless_an_order_is_asked_for(client, register):
    make("Buurtkamer Leiden", LEIDEN, kind="bewonersinitiatief", place="Leiden", services=["winkel"])
    ranked = client.get("/api/v1/initiatives?q=winkel").json()
    assert [r["name"] for r in ranked["results"]] == ["Dorpswinkel Oud-Leiden", "Buurtkamer Leiden"]
    assert ranked["count"] == 2
    by_name = client.get("/api/v1/initiatives?q=winkel&ordering=name").json()
    assert [r["name"] for r in by_name["results"]] == ["Buurtkamer Leiden", "Dorpswinkel Oud-Leiden"]
