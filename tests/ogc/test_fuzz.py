"""A CQL2 fuzz: many generated filters, valid and broken, against a demo register.

Every valid one must select exactly what the register's shared FilterSet (registry.filters, what
the REST API, the map and the downloads use) selects for the same condition in its own
parameters; every broken one must be a 400 with an OGC exception, never a 500. The generator is
seeded, so a failure names an expression that fails again."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import cql2
import pytest
from django.http import QueryDict
from django.test import Client

from registry.filters import InitiativeFilterSet
from registry.models import FundingSource, Initiative, Kind, Service, Status
from registry.operations.demo import seed_demo
from tests.conftest import made_once

ITEMS = "/ogc/v1/collections/initiatives/items"
VALID, BROKEN = 150, 250


@pytest.fixture(scope="module")
def demo_register(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, list[str]]]:
    """Seeded once for the module (it takes seconds) and rolled back after it."""
    with made_once(django_db_blocker, codes_of_a_demo_register) as codes:
        yield codes


@pytest.fixture
def demo(demo_register: dict[str, list[str]], db: None) -> dict[str, list[str]]:
    return demo_register


def codes_of_a_demo_register() -> dict[str, list[str]]:
    seed_demo(120, seed=7)
    published = Initiative.objects.published()
    return {
        "kind": list(Kind.objects.values_list("code", flat=True)),
        "service": list(Service.objects.values_list("code", flat=True)),
        "fundingSource": list(FundingSource.objects.values_list("code", flat=True)),
        "status": list(Status.values),
        "municipality": sorted(set(published.values_list("municipality__code", flat=True)) - {None}),
        "province": sorted(set(published.values_list("province__code", flat=True)) - {None}),
    }


def clause(rng: random.Random, kind: str, values: dict[str, list[str]]) -> tuple[str, dict[str, list[str]]]:
    """One condition as CQL2 text and as the FilterSet's parameters."""
    def some(name: str) -> list[str]:
        return rng.sample(values[name], rng.randint(1, min(3, len(values[name]))))

    def listed(codes: list[str]) -> str:
        return ", ".join(f"'{code}'" for code in codes)

    property_of = {"kind": "kind", "service": "service", "fundingSource": "funding_source", "status": "status",
                   "municipality": "municipality_code", "province": "province_code"}
    if kind in property_of:
        codes = some(kind)
        name = property_of[kind]
        text = f"{name} = '{codes[0]}'" if len(codes) == 1 and rng.random() < 0.5 else f"{name} IN ({listed(codes)})"
        return text, {kind: codes}
    if kind == "foundedFrom":
        year = rng.randint(1980, 2026)
        return rng.choice([f"founded_year >= {year}", f"{year} <= founded_year"]), {kind: [str(year)]}
    if kind == "foundedTo":
        year = rng.randint(1980, 2026)
        return f"founded_year <= {year}", {kind: [str(year)]}
    if kind == "verifiedSince":
        day = f"20{rng.randint(20, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return f"last_verified_on >= DATE('{day}')", {kind: [day]}
    if kind == "bbox":
        west, south = rng.uniform(3.3, 7.0), rng.uniform(50.7, 53.3)
        east, north = west + rng.uniform(0.05, 2), south + rng.uniform(0.05, 1.5)
        box = ",".join(f"{number:.4f}" for number in (west, south, east, north))
        return f"S_INTERSECTS(geometry, BBOX({box}))", {kind: [box]}
    raise ValueError(kind)


KINDS = ["kind", "service", "fundingSource", "status", "municipality", "province", "foundedFrom", "foundedTo",
         "verifiedSince", "bbox"]


def ogc_ids(client: Client, expression: str, language: str) -> set[int]:
    response = client.get(f"{ITEMS}?limit=1000&filter={quote(expression)}&filter-lang={language}")
    assert response.status_code == 200, (expression, response.content)
    document = response.json()
    assert document["numberMatched"] == document["numberReturned"]
    return {feature["id"] for feature in document["features"]}


def filterset_ids(parameters: dict[str, list[str]]) -> set[int]:
    data = QueryDict(mutable=True)
    for name, values in parameters.items():
        data.setlist(name, values)
    filters = InitiativeFilterSet(data, queryset=Initiative.objects.published())
    assert filters.is_valid(), filters.errors
    return set(filters.qs.values_list("pk", flat=True))


def test_generated_filters_select_what_the_shared_filterset_selects(client: Client, demo: Any) -> None:
    rng = random.Random(15)
    nonempty = 0
    for _ in range(VALID):
        kinds = rng.sample(KINDS, rng.randint(1, 3))
        parts = [clause(rng, kind, demo) for kind in kinds]
        expression = " AND ".join(f"({text})" if rng.random() < 0.3 else text for text, _params in parts)
        parameters = {name: values for _text, params in parts for name, values in params.items()}
        language = rng.choice(["cql2-text", "cql2-json"])
        sent = expression if language == "cql2-text" else json.dumps(cql2.parse_text(expression).to_json())
        expected = filterset_ids(parameters)
        assert ogc_ids(client, sent, language) == expected, (expression, parameters)
        nonempty += bool(expected)
    assert nonempty > VALID // 4  # the generator makes conditions that select something


ALPHABET = "()'\"=<>,. %_-ABDEILNORST0123456789abcdefgilmnoprstuxyz\\é€\u2028"


def broken(rng: random.Random, text: str) -> str:
    choice = rng.randrange(5)
    position = rng.randrange(len(text) + 1)
    if choice == 0:  # cut short
        return text[:position]
    if choice == 1:  # a character gone
        return text[:position] + text[position + 1:]
    if choice == 2:  # characters added
        return text[:position] + "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 4))) + text[position:]
    if choice == 3:  # a word replaced by a word of the language or a made-up one
        words = text.split(" ")
        words[rng.randrange(len(words))] = rng.choice(["AND", "OR", "NOT", "IN", "LIKE", "BETWEEN", "IS", "NULL",
                                                       "colour", "S_CROSSES(geometry,", "CASEI(", "''", "()"])
        return " ".join(words)
    return "".join(rng.sample(text, len(text)))  # shuffled


def test_broken_filters_are_400s_never_500s(client: Client, demo: Any) -> None:
    rng = random.Random(16)
    refused = 0
    for _ in range(BROKEN):
        parts = [clause(rng, kind, demo)[0] for kind in rng.sample(KINDS, rng.randint(1, 3))]
        text = broken(rng, " AND ".join(parts))
        language = "cql2-text"
        if rng.random() < 0.3:
            language = "cql2-json"
            tree = json.dumps(cql2.parse_text(" AND ".join(parts)).to_json())
            text = broken(rng, tree)
        response = client.get(f"{ITEMS}?filter={quote(text)}&filter-lang={language}")
        assert response.status_code in (200, 400), (text, response.status_code)
        if response.status_code == 400:
            document = response.json()
            assert document["code"] == "InvalidParameterValue" and document["detail"], text
            refused += 1
    assert refused > BROKEN // 2
