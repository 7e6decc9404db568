"""The change feed: every public create, update, unpublish and delete in order, with cursors; a change
of an initiative's published yearly figures or of its evidence of social value is an update of it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from registry import actions
from registry.importing.figures import commit_figures
from registry.models import (
    Initiative,
    PublicationState,
    SocialValueEvidence,
    SuggestionKind,
    SuggestionOrigin,
    YearlyFigures,
)
from tests.conftest import UTRECHT, make
from tests.maintainers import administrator, editor
from tests.registry.import_helpers import csv_bytes


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


# -- yearly figures and evidence of social value: changes of what the public record shows -------------------


def the_administrator() -> Any:
    return get_user_model().objects.filter(username="beheerder").first() or administrator()


def the_editor() -> Any:
    return get_user_model().objects.filter(username="redacteur-zh").first() or editor()


def figures(initiative: Initiative, year: int, public: bool, **amounts: Any) -> YearlyFigures:
    record = YearlyFigures.objects.filter(initiative=initiative, year=year).first() or YearlyFigures(
        initiative=initiative, year=year)
    record.public = public
    for name, value in amounts.items():
        setattr(record, name, value)
    record.full_clean()
    return record


def by_admin(initiative: Initiative, year: int, public: bool, **amounts: Any) -> None:
    actions.save_figures(figures(initiative, year, public, **amounts), acting_user=the_administrator())


def by_import(initiative: Initiative, year: int, public: bool, **amounts: Any) -> None:
    Initiative.objects.filter(pk=initiative.pk).update(external_id="L-1")
    header = ["extern_id", "jaar", "subsidie", "toestemming"]
    row = ["L-1", str(year), str(amounts.get("income_subsidy", "")), "ja" if public else "nee"]
    report = commit_figures(csv_bytes([row], header), "cijfers.csv", acting_user=the_administrator())
    assert report.committed, report


def by_link(initiative: Initiative, year: int, public: bool, **amounts: Any) -> None:
    proposed = {"year": year, **dict.fromkeys(["income_commissions", "income_funds", "income_crowdfunding",
                                                "income_loans", "income_own", "income_membership", "income_donations",
                                                "income_partnerships", "expenses", "volunteers", "paid_staff_fte",
                                                "people_reached", "work_places", "members", "household_share"]),
                "income_subsidy": amounts.get("income_subsidy"), "premises": "", "public": public}
    suggestion = actions.submit_suggestion(SuggestionKind.FIGURES, proposed, initiative=initiative,
                                           origin=SuggestionOrigin.VERIFICATION)
    actions.approve_suggestion(suggestion, acting_user=the_editor())


@pytest.mark.parametrize("save", [by_admin, by_import, by_link], ids=["admin", "import", "verification link"])
def test_a_change_of_published_figures_shows_as_an_update_of_its_initiative(client, leiden, save):
    cursor = feed(client)["cursor"]

    save(leiden, 2024, True, income_subsidy=12_000)
    changes = feed(client, f"?since={cursor}")["changes"]
    save(leiden, 2024, True, income_subsidy=13_000)
    again = feed(client, f"?since={changes[-1]['cursor']}")["changes"]

    assert [(c["action"], c["id"]) for c in changes] == [("updated", leiden.pk)]
    assert [(c["action"], c["id"]) for c in again] == [("updated", leiden.pk)]
    assert leiden.history.latest().history_change_reason == "published yearly figures changed"
    # What a harvester fetches again holds the change.
    document = client.get(again[0]["url"]).json()
    assert [(year["year"], year["income"]["subsidie"]) for year in document["yearlyFigures"]] == [(2024, 13_000)]
    assert document["updatedAt"] == Initiative.objects.get(pk=leiden.pk).updated_at.astimezone().isoformat()
    assert document["updatedAt"] != leiden.updated_at.astimezone().isoformat()  # it moved with the figures


@pytest.mark.parametrize("save", [by_admin, by_import, by_link], ids=["admin", "import", "verification link"])
def test_figures_no_one_may_see_change_nothing_in_the_feed_until_they_are_published(client, leiden, save):
    cursor = feed(client)["cursor"]
    versions = leiden.history.count()

    save(leiden, 2024, False, income_subsidy=12_000)  # a year without consent: nothing public changes
    save(leiden, 2024, False, income_subsidy=13_000)
    assert feed(client, f"?since={cursor}")["changes"] == []
    assert leiden.history.count() == versions  # not even a new version of the record

    save(leiden, 2024, True, income_subsidy=13_000)  # consent given: the year appears
    save(leiden, 2024, False, income_subsidy=13_000)  # and withdrawn: it goes
    assert [c["action"] for c in feed(client, f"?since={cursor}")["changes"]] == ["updated", "updated"]


def test_only_what_the_public_sees_of_a_year_counts_and_a_deleted_year_too(client, leiden):
    by_admin(leiden, 2023, False, income_subsidy=1)
    by_admin(leiden, 2024, True, income_subsidy=2)
    cursor = feed(client)["cursor"]

    source_only = figures(leiden, 2024, True)
    source_only.source = "Jaarverslag 2024"  # not shown anywhere
    actions.save_figures(source_only, acting_user=None)
    actions.delete_figures(YearlyFigures.objects.get(initiative=leiden, year=2023), acting_user=None)  # unconsented
    assert feed(client, f"?since={cursor}")["changes"] == []

    actions.delete_figures(YearlyFigures.objects.get(initiative=leiden, year=2024), acting_user=None)
    assert [(c["action"], c["id"]) for c in feed(client, f"?since={cursor}")["changes"]] == [("updated", leiden.pk)]


def test_a_drafts_figures_stay_out_of_the_feed(client, leiden):
    draft = make("Concept", UTRECHT, publication_state=PublicationState.DRAFT, founded_year=2010)
    cursor = feed(client)["cursor"]

    by_admin(draft, 2024, True, income_subsidy=12_000)

    assert feed(client, f"?since={cursor}")["changes"] == []


def test_evidence_of_social_value_shows_as_an_update_when_added_changed_or_deleted(client, leiden):
    cursor = feed(client)["cursor"]
    evidence = SocialValueEvidence(initiative=leiden, method="sroi", year=2024, result="Elke euro levert 3,40 op.",
                                   figure=Decimal("3.40"))
    evidence.full_clean()

    actions.save_evidence(evidence, acting_user=the_administrator())
    actions.save_evidence(SocialValueEvidence.objects.get(pk=evidence.pk), acting_user=None)  # saved unchanged
    changed = SocialValueEvidence.objects.get(pk=evidence.pk)
    changed.assessed_by = "Universiteit Leiden"
    actions.save_evidence(changed, acting_user=None)
    actions.delete_evidence(changed, acting_user=None)

    changes = feed(client, f"?since={cursor}")["changes"]
    assert [(c["action"], c["id"]) for c in changes] == [("updated", leiden.pk)] * 3
    assert list(leiden.history.order_by("-history_id").values_list("history_change_reason", flat=True)[:3]) == [
        "evidence of social value changed"] * 3
