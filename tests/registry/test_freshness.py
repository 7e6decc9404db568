"""A running record not verified for STALE_AFTER_MONTHS (or never) is stale: listed per region for
the editors, marked in the API."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from registry.models import Initiative, Role, Status
from registry.querysets import stale_cutoff, stale_since
from tests.conftest import UTRECHT, make
from tests.maintainers import maintainer


@pytest.mark.parametrize(("today", "cutoff"), [
    (datetime.date(2026, 11, 30), datetime.date(2025, 11, 30)),
    (datetime.date(2028, 2, 29), datetime.date(2027, 2, 28)),  # no 29 February a year earlier
    (datetime.date(2027, 1, 15), datetime.date(2026, 1, 15)),
])
def test_twelve_months_back_is_the_same_day_a_year_earlier(today, cutoff):
    assert stale_cutoff(today) == cutoff


def test_six_months_when_configured(settings):
    settings.STALE_AFTER_MONTHS = 6
    assert stale_cutoff(datetime.date(2026, 3, 31)) == datetime.date(2025, 9, 30)


@pytest.mark.parametrize("months", [12, 6, 1])
def test_a_record_becomes_stale_on_the_first_day_whose_cutoff_lies_after_its_verification(settings, months):
    settings.STALE_AFTER_MONTHS = months
    verified_on = datetime.date(2027, 1, 1)
    while verified_on < datetime.date(2029, 1, 1):  # every day of two years, leap day and month ends too
        became = stale_since(verified_on)
        assert stale_cutoff(became) > verified_on >= stale_cutoff(became - datetime.timedelta(days=1))
        verified_on += datetime.timedelta(days=1)


def test_a_record_verified_on_31_march_is_stale_from_1_may_under_one_month(settings):
    settings.STALE_AFTER_MONTHS = 1
    assert stale_since(datetime.date(2026, 3, 31)) == datetime.date(2026, 5, 1)


@pytest.fixture
def register(db) -> dict[str, Initiative]:
    today = timezone.localdate()
    cutoff = stale_cutoff(today)
    return {
        "fresh": make("Vers", UTRECHT, last_verified_on=cutoff, verification_method="telefoon"),
        "old": make("Oud", UTRECHT, last_verified_on=cutoff - datetime.timedelta(days=1),
                    verification_method="telefoon"),
        "never": make("Nooit", UTRECHT),
        "stopped": make("Gestopt", UTRECHT, status=Status.STOPPED, stopped_on=today, stop_reason="menskracht"),
    }


def test_stale_records_are_the_old_and_the_never_verified_but_not_the_stopped(register):
    assert set(Initiative.objects.stale().values_list("name", flat=True)) == {"Oud", "Nooit"}
    assert set(Initiative.objects.fresh().values_list("name", flat=True)) == {"Vers", "Gestopt"}
    assert {name: r.is_stale for name, r in register.items()} == {
        "fresh": False, "old": True, "never": True, "stopped": False}


def test_the_api_marks_stale_records_and_filters_on_it(client, register):
    results = client.get("/api/v1/initiatives?pageSize=10").json()["results"]
    assert {r["name"]: r["stale"] for r in results} == {"Vers": False, "Oud": True, "Nooit": True, "Gestopt": False}

    stale = client.get("/api/v1/initiatives?stale=true").json()["results"]
    assert sorted(r["name"] for r in stale) == ["Nooit", "Oud"]
    fresh = client.get("/api/v1/initiatives?stale=false").json()["results"]
    assert sorted(r["name"] for r in fresh) == ["Gestopt", "Vers"]
    bad = client.get("/api/v1/initiatives?stale=misschien").json()
    assert bad["invalidParams"][0]["name"] == "stale"


def test_editors_see_the_records_to_verify_of_their_region(register, leiden):
    Initiative.objects.filter(pk=leiden.pk).update(last_verified_on=None)
    editor = maintainer("zh", Role.EDITOR, "PV28")
    client = Client()
    client.force_login(editor)

    overview = client.get("/admin/registry/initiative/stale/")
    assert [(p.code, stale, running) for p, stale, running in overview.context["provinces"]] == [("PV28", 1, 1)]
    listing = client.get("/admin/registry/initiative/?freshness=stale")
    assert [i.name for i in listing.context["cl"].queryset] == ["Buurtkamer De Linde"]

    client.force_login(maintainer("landelijk", Role.ADMINISTRATOR))
    overview = client.get("/admin/registry/initiative/stale/")
    assert [(p.code, stale, running) for p, stale, running in overview.context["provinces"]] == [
        ("PV26", 2, 3), ("PV28", 1, 1)]
    assert overview.context["total"] == 3


def test_stale_follows_verification_stopping_and_resuming_in_the_api_and_on_the_map(client, register):
    """`stale` is decided from the documents' copies of the record's status and last verification
    (registry.documents.STALE): every action that changes them, for one record or many, renews them."""
    from registry import actions
    from tests.maintainers import administrator

    admin = administrator()

    def stale() -> dict[str, tuple[bool, bool]]:
        records = client.get("/api/v1/initiatives?pageSize=10").json()["results"]
        markers = client.get("/api/v1/initiatives/map").json()["features"]
        on_map = {feature["properties"]["name"]: feature["properties"].get("stale", False) for feature in markers}
        return {record["name"]: (record["stale"], on_map[record["name"]]) for record in records}

    assert stale() == {"Vers": (False, False), "Oud": (True, True), "Nooit": (True, True), "Gestopt": (False, False)}
    actions.mark_verified(register["old"], "telefoon", acting_user=admin)
    actions.resume(Initiative.objects.get(pk=register["stopped"].pk), acting_user=admin)  # never verified
    actions.stop_many(Initiative.objects.filter(pk=register["never"].pk), timezone.localdate(), "menskracht",
                      acting_user=admin)
    assert stale() == {"Vers": (False, False), "Oud": (False, False), "Nooit": (False, False), "Gestopt": (True, True)}
    actions.mark_verified_many(Initiative.objects.filter(pk=register["stopped"].pk), "telefoon", acting_user=admin)
    assert stale()["Gestopt"] == (False, False)
