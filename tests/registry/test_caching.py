"""Kept answers (registry.caching): after an edit, the first request for an answer makes it and the
others wait for it instead of all making it at once; a maker that fails leaves no one waiting."""

from __future__ import annotations

import pytest

from registry import caching
from registry.caching import responses, single_flight

pytestmark = pytest.mark.django_db


def test_a_second_asker_waits_for_the_answer_the_first_is_making(monkeypatch):
    key = "response:test-wait"
    responses().add(key + ":making", True)  # the first asker is making it
    made = []

    def meanwhile(seconds: float) -> None:
        responses().set(key, b"made by the first")

    monkeypatch.setattr(caching.time, "sleep", meanwhile)

    assert single_flight(key, lambda: made.append("again") or b"made again") == b"made by the first"
    assert made == []


def test_when_the_maker_gives_up_the_waiting_asker_makes_it(monkeypatch):
    key = "response:test-give-up"
    responses().add(key + ":making", True)

    def meanwhile(seconds: float) -> None:
        responses().delete(key + ":making")  # the first asker failed

    monkeypatch.setattr(caching.time, "sleep", meanwhile)

    assert single_flight(key, lambda: b"made here") == b"made here"
    assert responses().get(key) == b"made here"
    assert responses().get(key + ":making") is None


def test_a_failing_maker_releases_the_others():
    key = "response:test-failure"
    with pytest.raises(ZeroDivisionError):
        single_flight(key, lambda: 1 / 0)
    assert responses().get(key + ":making") is None
    assert single_flight(key, lambda: b"made") == b"made"


@pytest.mark.parametrize(("query", "kept"), [
    ("province=PV28&service=winkel&service=ontmoetingsplek", True),
    ("foundedFrom=1990&ordering=-foundedYear,name", True),
    ("province=", True),
    # One selection written another way would be another entry, endlessly: answered, not kept.
    ("province=PV28&province=PV28", False),
    ("foundedFrom=1990.0", False), ("foundedFrom=01990", False), ("foundedFrom=%2B1990", False),
    ("foundedFrom=%201990", False), ("foundedFrom=1e3", False),
    ("ordering=name,name", False),
    ("unknown=1", False),
])
def test_only_an_answer_to_a_plainly_written_query_is_kept(rf, query: str, kept: bool):
    known = {"province", "service", "foundedFrom", "ordering"}

    assert caching.keepable(rf.get(f"/initiatieven?{query}"), known) is kept
