"""The change feed: every public create, update, unpublish and delete in order, with cursors."""

from __future__ import annotations

from registry import actions
from registry.models import Initiative, PublicationState
from tests.conftest import UTRECHT, make


def feed(client, query: str = "") -> dict:
    response = client.get(f"/api/v1/changes{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_feed_tells_a_sync_client_everything_it_needs_in_order(client, db):
    draft = make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)
    shown = make("Buurtbus Utrecht", UTRECHT)
    draft.name = "Nog steeds concept"
    draft.save()
    shown.name = "Buurtbus Utrecht-Oost"
    shown.save()
    actions.publish(draft, acting_user=None)
    actions.archive(shown, acting_user=None)
    draft_id, shown_id = draft.pk, shown.pk
    Initiative.objects.get(pk=draft_id).delete()

    changes = feed(client)["changes"]

    assert [(c["action"], c["id"]) for c in changes] == [
        ("created", shown_id), ("updated", shown_id), ("published", draft_id), ("unpublished", shown_id),
        ("deleted", draft_id)]
    assert all(c["url"] is None for c in changes)  # neither is public any more
    assert changes[1]["slug"] == "buurtbus-utrecht"


def test_the_feed_pages_by_cursor_without_limit_on_how_far_back(client, db):
    for number in range(5):
        make(f"Initiatief {number}", UTRECHT)

    first = feed(client, "?pageSize=2")
    second = feed(client, f"?pageSize=2&since={first['cursor']}")
    third = client.get(second["next"]).json()

    assert [c["action"] for c in first["changes"] + second["changes"] + third["changes"]] == ["created"] * 5
    assert first["next"] == f"http://testserver/api/v1/changes?pageSize=2&since={first['cursor']}"
    assert third["next"] is None
    assert feed(client, f"?since={third['cursor']}") == {"changes": [], "cursor": third["cursor"], "next": None}


def test_a_changed_partnership_shows_as_an_update_of_its_initiative(client, leiden):
    cursor = feed(client)["cursor"]
    actions.delete_partnership(leiden.partnerships.get(), acting_user=None)

    assert [(c["action"], c["id"]) for c in feed(client, f"?since={cursor}")["changes"]] == [("updated", leiden.pk)]
