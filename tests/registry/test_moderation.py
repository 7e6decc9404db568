"""The moderation queue: an editor of the region approves or rejects a suggestion through the domain
actions; nobody else can; a submission is public only after approval, and then without the
submitter's name or address."""

from __future__ import annotations

import datetime
import json
import re
from html import unescape
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from registry import actions
from registry.models import (
    Initiative,
    LocationPrecision,
    PublicationState,
    Status,
    Suggestion,
    SuggestionKind,
    SuggestionOrigin,
    SuggestionState,
)
from registry.roles import NotAllowed
from tests.maintainers import UTRECHT_PROVINCE, administrator, editor, reviewer

PROPOSAL = {
    "name": "Buurttuin De Vlinder", "kind": "bewonersinitiatief", "services": ["gemeenschapstuin", "ontmoetingsplek"],
    "short_description": "Een tuin voor en door de buurt.", "founded_year": 2021, "street": "Breestraat",
    "house_number": "10", "postcode": "2311 CS", "place": "Leiden", "website": "https://vlinder.example",
    "email": "info@vlinder.example", "phone": "071 234 5678"}
SUBMITTER = {"message": "Gezien in de wijkkrant.", "submitter_name": "Jan Jansen",
             "submitter_email": "jan@example.org"}


@pytest.fixture(autouse=True)
def empty_cache(db):
    cache.clear()  # the API answers anonymous reads from the cache
    yield
    cache.clear()


@pytest.fixture
def new_in_leiden(db) -> Suggestion:
    return actions.submit_suggestion(SuggestionKind.NEW, dict(PROPOSAL), **SUBMITTER)


def logged_in(user: Any) -> Client:
    """A maintainer's client, in English: the new strings are English until locale/nl has them."""
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def review(client: Client, suggestion: Suggestion, decision: str, note: str = "") -> Any:
    return client.post(f"/admin/registry/suggestion/{suggestion.pk}/change/", {"decision": decision, "note": note},
                       follow=True)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# -- a new initiative ------------------------------------------------------------------------------


def test_an_editor_of_the_region_approves_a_new_initiative_which_then_is_public(new_in_leiden, leiden):
    user = editor("redacteur-zh")
    anonymous = Client()
    assert "Buurttuin De Vlinder" not in anonymous.get("/initiatieven").content.decode()

    response = review(logged_in(user), new_in_leiden, "approve", note="Gebeld, klopt.")

    # Nothing else waits in the list it came from: back to that list.
    assert messages_of(response) == ["Approved: “Buurttuin De Vlinder” is added to the register and published.",
                                     "No more suggestions waiting in this list."]
    record = Initiative.objects.get(name="Buurttuin De Vlinder")
    assert (record.publication_state, record.source, record.slug, record.postcode, record.website) == (
        PublicationState.PUBLISHED, "Aanmelding via de website", "buurttuin-de-vlinder", "2311 CS",
        "https://vlinder.example")
    assert (record.last_verified_on, record.verification_method) == (None, "")  # nobody asked the initiative yet
    assert (record.municipality.code, record.location_precision) == ("GM0546", LocationPrecision.POSTCODE)
    assert sorted(record.services.values_list("code", flat=True)) == ["gemeenschapstuin", "ontmoetingsplek"]
    created = record.history.earliest()
    assert (created.history_user, created.history_change_reason) == (
        user, f"created from suggestion #{new_in_leiden.pk}")
    suggestion = Suggestion.objects.get()
    assert (suggestion.state, suggestion.initiative, suggestion.decided_by, suggestion.decision_note) == (
        SuggestionState.APPROVED, record, user, "Gebeld, klopt.")
    assert timezone.now() - suggestion.decided_at < datetime.timedelta(minutes=1)

    # Now public: list, detail, API and map data; never with the submitter's name or address.
    cache.clear()
    pages = [anonymous.get("/initiatieven").content.decode(),
             anonymous.get("/initiatieven/buurttuin-de-vlinder").content.decode(),
             anonymous.get("/api/v1/initiatives").content.decode(),
             anonymous.get(f"/api/v1/initiatives/{record.pk}").content.decode(),
             anonymous.get("/opendata/initiatives.csv").getvalue().decode()]
    assert all("Buurttuin De Vlinder" in page for page in pages)
    assert not any(secret in page for page in pages for secret in ("Jan Jansen", "jan@example.org", "wijkkrant"))
    features = json.loads(anonymous.get("/api/v1/initiatives/map").content)["features"]
    assert sorted(feature["properties"]["name"] for feature in features) == [
        "Buurtkamer De Linde", "Buurttuin De Vlinder"]


def test_an_editor_of_another_region_can_neither_see_nor_approve_it(new_in_leiden):
    user = editor("redacteur-utrecht", UTRECHT_PROVINCE)
    client = logged_in(user)

    queue = client.get("/admin/registry/suggestion/")
    refused = review(client, new_in_leiden, "approve")

    assert list(queue.context["cl"].queryset) == []
    assert messages_of(refused) == ["There is no such suggestion in your region."]
    with pytest.raises(NotAllowed, match="outside your region"):
        actions.approve_suggestion(new_in_leiden, acting_user=user)
    assert Suggestion.objects.get().state == SuggestionState.PENDING
    assert not Initiative.objects.exists()


def test_a_reviewer_reads_the_queue_but_cannot_decide(new_in_leiden):
    user = reviewer("meelezer")
    client = logged_in(user)

    page = client.get(f"/admin/registry/suggestion/{new_in_leiden.pk}/change/").content.decode()
    refused = review(client, new_in_leiden, "approve")

    assert "Buurttuin De Vlinder" in page and "Jan Jansen" in page  # maintainers may read the contact
    assert 'value="approve"' not in page
    assert "Your role or region does not allow you to decide on this suggestion." in page
    assert messages_of(refused) == ["Not done: Your role does not allow changes to the register."]
    with pytest.raises(NotAllowed):
        actions.reject_suggestion(new_in_leiden, acting_user=user, note="nee")
    assert Suggestion.objects.get().state == SuggestionState.PENDING
    assert not Initiative.objects.exists()


def test_a_rejected_suggestion_is_kept_with_its_note_and_cannot_be_decided_again(new_in_leiden):
    user = administrator()

    response = review(logged_in(user), new_in_leiden, "reject", note="Bestaat al onder een andere naam.")

    assert messages_of(response) == ["Rejected; the suggestion is kept with your note.",
                                     "No more suggestions waiting in this list."]
    suggestion = Suggestion.objects.get()
    assert (suggestion.state, suggestion.decided_by, suggestion.decision_note, suggestion.initiative) == (
        SuggestionState.REJECTED, user, "Bestaat al onder een andere naam.", None)
    assert not Initiative.objects.exists()
    with pytest.raises(ValidationError, match="already decided"):
        actions.approve_suggestion(suggestion, acting_user=user)
    assert not Initiative.objects.exists()


def test_the_review_page_shows_the_proposal_the_private_contact_and_possible_duplicates(new_in_leiden):
    from tests.conftest import LEIDEN, make

    make("Buurttuin de Vlinders", LEIDEN)
    html = logged_in(editor()).get(f"/admin/registry/suggestion/{new_in_leiden.pk}/change/").content.decode()

    rows = {label: unescape(value) for label, value in
            re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="proposed">([^<]*)</td>', html)}
    assert rows == {"Name": "Buurttuin De Vlinder", "Kind": "Residents' initiative",
                    "Services": "Meeting point, Community garden",
                    "Short description": "Een tuin voor en door de buurt.", "Website": "https://vlinder.example",
                    "Public e-mail address": "info@vlinder.example", "Public phone number": "071 234 5678",
                    "Street": "Breestraat", "House number": "10", "Postcode": "2311 CS", "Place": "Leiden",
                    "Founded in": "2021"}
    assert "Gezien in de wijkkrant." in html and "mailto:jan@example.org" in html
    assert re.search(r'<a href="/admin/registry/initiative/\d+/change/">Buurttuin de Vlinders</a>', html)
    assert 'value="approve"' in html and 'value="reject"' in html


# -- corrections and stop reports -----------------------------------------------------------------


def test_an_approved_correction_changes_only_what_it_proposed(leiden):
    suggestion = actions.submit_suggestion(
        SuggestionKind.CORRECTION, {"phone": "071 999 8888", "services": ["ontmoetingsplek"]}, initiative=leiden)
    # Meanwhile an editor changed another field: the correction does not undo that.
    leiden.website = "https://nieuw.linde.example"
    actions.save_edit(leiden, Initiative.objects.get(pk=leiden.pk), acting_user=None)
    user = editor()

    html = logged_in(user).get(f"/admin/registry/suggestion/{suggestion.pk}/change/").content.decode()
    changed = re.findall(r'<tr class="changed">\s*<th scope="row">([^<]+)</th>\s*<td>([^<]*)</td>\s*'
                         r'<td class="proposed">([^<]*)</td>', html)
    assert changed == [("Services", "Meeting point, Community restaurant", "Meeting point"),
                       ("Public phone number", "071 123 4567", "071 999 8888")]

    actions.approve_suggestion(suggestion, acting_user=user)

    record = Initiative.objects.get(pk=leiden.pk)
    assert (record.phone, record.website, record.name) == ("071 999 8888", "https://nieuw.linde.example",
                                                           "Buurtkamer De Linde")
    assert list(record.services.values_list("code", flat=True)) == ["ontmoetingsplek"]
    # One entry for the record with its services (registry.saving), by the editor.
    entries = record.history.filter(history_change_reason=f"corrected by suggestion #{suggestion.pk}")
    assert [(entry.history_user, entry.phone) for entry in entries] == [(user, "071 999 8888")]
    assert [row.service.code for row in entries.latest().services.all()] == ["ontmoetingsplek"]


def test_a_correction_to_another_postcode_area_moves_the_point_there(leiden):
    suggestion = actions.submit_suggestion(
        SuggestionKind.CORRECTION, {"street": "Oudegracht", "house_number": "1", "postcode": "3511 AA",
                                    "place": "Utrecht"}, initiative=leiden)
    assert suggestion.municipality.code == "GM0546"  # the record's region is told: it is their record

    with pytest.raises(NotAllowed, match="buiten uw regio"):
        actions.approve_suggestion(suggestion, acting_user=editor())  # Zuid-Holland cannot move it to Utrecht
    assert Initiative.objects.get(pk=leiden.pk).postcode == "2311 CS"

    actions.approve_suggestion(suggestion, acting_user=administrator())
    record = Initiative.objects.get(pk=leiden.pk)
    assert (record.postcode, record.municipality.code, record.location_precision) == (
        "3511 AA", "GM0344", LocationPrecision.POSTCODE)


def test_a_proposal_that_no_longer_validates_is_refused_and_nothing_changes(leiden):
    suggestion = actions.submit_suggestion(
        SuggestionKind.CORRECTION, {"name": "Buurtkamer De Linde 2", "founded_year": 2022,
                                    "services": ["winkel"]}, initiative=leiden)
    # Meanwhile the initiative was recorded as stopped in 2021: a founding year of 2022 no longer fits.
    actions.stop(leiden, on=datetime.date(2021, 5, 1), reason="menskracht", acting_user=None)
    versions = leiden.history.count()

    with translation.override("nl"):  # the model's message, in the default language
        with pytest.raises(ValidationError) as refused:
            actions.approve_suggestion(suggestion, acting_user=editor())
        assert refused.value.message_dict == {"stopped_on": ["De stopdatum ligt vóór het oprichtingsjaar."]}

    record = Initiative.objects.get(pk=leiden.pk)
    assert (record.name, record.founded_year) == ("Buurtkamer De Linde", 2015)
    assert sorted(record.services.values_list("code", flat=True)) == ["ontmoetingsplek", "wijkrestaurant"]
    assert record.history.count() == versions
    assert Suggestion.objects.get().state == SuggestionState.PENDING


def test_the_review_page_warns_when_approving_would_fail(leiden):
    suggestion = actions.submit_suggestion(SuggestionKind.CORRECTION, {"founded_year": 2022}, initiative=leiden)
    actions.stop(leiden, on=datetime.date(2021, 5, 1), reason="menskracht", acting_user=None)
    client = logged_in(editor())

    html = client.get(f"/admin/registry/suggestion/{suggestion.pk}/change/").content.decode()
    response = review(client, suggestion, "approve")

    assert "Approving would fail now" in html and "The stop date lies before the founding year." in html
    assert messages_of(response) == ["Not done: The stop date lies before the founding year."]


def test_an_approved_stop_report_stops_the_record(leiden):
    suggestion = actions.submit_suggestion(
        SuggestionKind.STOPPED, {"stopped_on": "2026-10-31", "stop_reason": "financiering"}, initiative=leiden,
        origin=SuggestionOrigin.VERIFICATION)
    user = editor()

    actions.approve_suggestion(suggestion, acting_user=user)

    record = Initiative.objects.get(pk=leiden.pk)
    assert (record.status, record.stopped_on, record.stop_reason) == (
        Status.STOPPED, datetime.date(2026, 10, 31), "financiering")
    latest = record.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (user, "stopped: financiering")
    again = actions.submit_suggestion(SuggestionKind.STOPPED, {"stopped_on": "2026-11-01", "stop_reason": "overig"},
                                      initiative=record)
    with pytest.raises(ValidationError, match="staat al als gestopt"):
        actions.approve_suggestion(again, acting_user=user)


# -- the queue ------------------------------------------------------------------------------------


def test_the_queue_is_scoped_by_region_waiting_first_and_counted_beside_the_initiatives(new_in_leiden, utrecht):
    in_utrecht = actions.submit_suggestion(SuggestionKind.CORRECTION, {"phone": "030 123 4567"}, initiative=utrecht)
    decided = actions.submit_suggestion(SuggestionKind.NEW, dict(PROPOSAL, name="Afgewezen"))
    actions.reject_suggestion(decided, acting_user=None)
    # The newest first among the waiting ones, then the decided ones.
    administrator_view = logged_in(administrator()).get("/admin/registry/suggestion/")
    zuid_holland_view = logged_in(editor()).get("/admin/registry/suggestion/")
    utrecht_reviewer = logged_in(reviewer("meelezer-utrecht", UTRECHT_PROVINCE)).get("/admin/registry/suggestion/")

    assert list(administrator_view.context["cl"].result_list) == [in_utrecht, new_in_leiden, decided]
    assert list(zuid_holland_view.context["cl"].result_list) == [new_in_leiden, decided]
    assert list(utrecht_reviewer.context["cl"].result_list) == [in_utrecht]
    filters = {spec.field_path for spec in administrator_view.context["cl"].filter_specs}
    assert filters == {"state", "kind", "origin", "province"}
    initiatives = logged_in(editor("redacteur-2")).get("/admin/registry/initiative/").content.decode()
    assert '<a href="/admin/registry/suggestion/?state__exact=open">1 suggestion to review</a>' in initiatives
    assert "Records to verify" in initiatives and "Deleted records" in initiatives


# -- the queue: its filter kept, and the next one ---------------------------------------------------


def test_a_decision_keeps_the_filter_and_opens_the_next_waiting_suggestion(leiden):
    user = editor("redacteur-zh")
    first, second, third = (actions.submit_suggestion(SuggestionKind.CORRECTION, {"phone": f"071 111 111{n}"},
                                                      initiative=leiden) for n in range(3))
    client = logged_in(user)
    queue = "state__exact=open"
    listed = client.get(f"/admin/registry/suggestion/?{queue}").context["cl"].result_list
    assert [s.pk for s in listed] == [third.pk, second.pk, first.pk]  # newest first
    filters = "?_changelist_filters=state__exact%3Dopen"

    page = client.get(f"/admin/registry/suggestion/{third.pk}/change/{filters}")
    assert page.context["next_url"] == f"/admin/registry/suggestion/{second.pk}/change/{filters}"
    assert page.context["list_url"] == f"/admin/registry/suggestion/?{queue}"

    response = client.post(f"/admin/registry/suggestion/{third.pk}/change/{filters}", {"decision": "reject"})
    assert response["Location"] == f"/admin/registry/suggestion/{second.pk}/change/{filters}"
    response = client.post(f"/admin/registry/suggestion/{second.pk}/change/{filters}", {"decision": "approve"})
    assert response["Location"] == f"/admin/registry/suggestion/{first.pk}/change/{filters}"
    response = client.post(f"/admin/registry/suggestion/{first.pk}/change/{filters}", {"decision": "reject"},
                           follow=True)
    # The last one: back to the list, with its filter, which is now empty.
    assert response.redirect_chain == [(f"/admin/registry/suggestion/?{queue}", 302)]
    assert list(response.context["cl"].result_list) == []
    assert messages_of(response)[-1] == "No more suggestions waiting in this list."


def test_next_skips_to_the_following_waiting_suggestion_without_deciding(leiden):
    user = editor("redacteur-zh")
    older, newer = (actions.submit_suggestion(SuggestionKind.CORRECTION, {"phone": f"071 111 111{n}"},
                                              initiative=leiden) for n in range(2))
    client = logged_in(user)
    page = client.get(f"/admin/registry/suggestion/{older.pk}/change/?_changelist_filters=state__exact%3Dopen")
    # The oldest is the last of the list: next goes round to the first waiting one.
    assert page.context["next_url"].startswith(f"/admin/registry/suggestion/{newer.pk}/change/")
    assert "Next waiting suggestion" in page.content.decode()
