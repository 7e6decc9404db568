"""The admin's home page is the work overview of the maintainer's region: each count links to the list
it counts, and that list shows exactly as many rows; the latest changes there; the register's own name."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.test import Client

from registry import actions
from registry.models import (
    DuplicateCandidate,
    ImportRun,
    Initiative,
    Role,
    SuggestionKind,
)
from tests.conftest import LEIDEN, UTRECHT, make
from tests.maintainers import maintainer

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(leiden, utrecht):
    """Work in Zuid-Holland and in Utrecht: suggestions, pairs in each province, stale records, imports."""
    admin = maintainer("landelijk", Role.ADMINISTRATOR)
    editor = maintainer("zh", Role.EDITOR, "PV28")
    twin = make("Buurtkamer de Linde", LEIDEN)
    # (Not "... Utrecht-Oost": since the scored search, a quarter's name tells neighbours apart.)
    make("Stichting Energiecoöperatie Utrecht (in oprichting)", UTRECHT, last_verified_on=datetime.date.today())
    # Found when the records were saved (and found again, if not, here): one pair in each province.
    DuplicateCandidate.objects.get_or_create(first=leiden, second=twin,
                                             defaults={"name_similarity": 0.95, "distance_m": 10})
    other = make("Energiecooperatie Utrecht", UTRECHT)
    DuplicateCandidate.objects.get_or_create(first=utrecht, second=other,
                                             defaults={"name_similarity": 0.8, "distance_m": 20})
    # and the Utrecht records are alike among themselves: three pairs there.
    assert DuplicateCandidate.objects.count() == 4
    for record in (leiden, leiden, utrecht):
        actions.submit_suggestion(SuggestionKind.CORRECTION, {"phone": "071 111 1111"}, initiative=record)
    decided = actions.submit_suggestion(SuggestionKind.CORRECTION, {"phone": "071 222 2222"}, initiative=leiden)
    actions.reject_suggestion(decided, acting_user=admin)
    for user, counts, errors in ((editor, {"error": 0}, []), (editor, {"error": 2}, []), (admin, {"error": 0}, ["x"])):
        ImportRun.objects.create(file_name="lijst.csv", content=b"", source="Lijst", created_by=user,
                                 report={"counts": {"created": 1, "updated": 0, "unchanged": 0, **counts},
                                         "file_errors": errors, "rows": []})
    ImportRun.objects.create(file_name="klaar.csv", content=b"", source="Lijst", created_by=editor,
                             committed_at=datetime.datetime.now(datetime.UTC),
                             report={"counts": {"created": 1, "error": 0}, "file_errors": [], "rows": []})
    actions.assign_many(Initiative.objects.filter(pk=leiden.pk), editor, acting_user=admin)
    return {"admin": admin, "editor": editor, "reviewer": maintainer("lezer", Role.REVIEWER, "PV26")}


def overview(user) -> tuple[Client, dict[str, tuple[int, str]]]:
    client = Client()
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return client, {item.key: (item.count, item.url) for item in response.context["work"]}


def rows_behind(client: Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


@pytest.mark.parametrize("role", ["admin", "editor", "reviewer"])
def test_every_count_equals_the_list_it_links_to(work, role):
    client, items = overview(work[role])
    for key, (count, url) in items.items():
        assert rows_behind(client, url) == count, key


def test_the_counts_are_those_of_the_users_region(work):
    _client, national = overview(work["admin"])
    _client, regional = overview(work["editor"])
    _client, reading = overview(work["reviewer"])

    assert {key: count for key, (count, _url) in national.items()} == {
        "suggestions": 3, "duplicates": 4, "stale": 3, "assigned": 0, "imports-waiting": 1, "imports-failed": 2,
        "worklist": 0, "failed-jobs": 0}
    # An editor sees their own imports; records assigned to them.
    assert {key: count for key, (count, _url) in regional.items()} == {
        "suggestions": 2, "duplicates": 1, "stale": 1, "assigned": 1, "imports-waiting": 1, "imports-failed": 1,
        "worklist": 0}
    # A reviewer of Utrecht reads the work there, and has none assigned.
    assert {key: count for key, (count, _url) in reading.items()} == {
        "suggestions": 1, "duplicates": 3, "stale": 2, "imports-waiting": 0, "imports-failed": 0}
    assert {key: urlsplit(url).query for key, (_count, url) in regional.items()} == {
        "suggestions": "state__exact=open", "duplicates": "decision__exact=open", "stale": "freshness=stale",
        "assigned": "assigned=mine", "imports-waiting": "state=waiting", "imports-failed": "state=failed",
        "worklist": "state__exact=werklijst"}


def test_the_overview_shows_the_best_pairs_and_the_latest_changes_of_the_region(work, leiden):
    client = Client()
    client.force_login(work["editor"])
    response = client.get("/admin/")

    assert [(pair.first.name, pair.second.name) for pair in response.context["best_pairs"]] == [
        ("Buurtkamer De Linde", "Buurtkamer de Linde")]
    changes = response.context["recent_changes"]
    assert {entry.name for entry in changes} == {"Buurtkamer De Linde", "Buurtkamer de Linde"}
    assert changes[0].history_change_reason == "assigned to zh"
    html = response.content.decode()
    assert "<title>Werkoverzicht | Register van bewonersinitiatieven</title>" in html
    assert '<div id="site-name"><a href="/admin/">Register van bewonersinitiatieven</a></div>' in html
    assert "Uw regio: Zuid-Holland." in html
    assert "toegewezen aan zh" in html  # the reason, in the reader's language
    assert f'href="/admin/registry/initiative/{leiden.pk}/history/"' in html


def test_staff_without_a_role_see_no_work(db, django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("personeel", password="x", is_staff=True))
    response = client.get("/admin/")
    assert (response.context["work"], response.context["recent_changes"]) == ([], [])
    assert "Uw regio" not in response.content.decode()
