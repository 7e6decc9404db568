"""Work on a selection: stop with a reason, mark verified with the method, assign to an editor. Each record
is checked by the model's rules and the user's region; what passes is written set-based, with one history
entry per record; the admin asks for the reason, method or editor in a form first."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry import actions, documents
from registry.models import Initiative, Role
from registry.roles import NotAllowed
from tests.conftest import LEIDEN, UTRECHT, make
from tests.maintainers import maintainer

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def records():
    """Three Leiden records (one founded this year, one stopped already) and one in Utrecht."""
    return {
        "linde": make("Buurtkamer De Linde", LEIDEN, founded_year=2015),
        "nieuw": make("Buurthuis Nieuw", LEIDEN, founded_year=TODAY.year),
        "oud": make("Dorpshuis Oud", LEIDEN, status="gestopt", stopped_on=datetime.date(2020, 1, 1),
                    stop_reason="menskracht"),
        "utrecht": make("Energiecoöperatie Utrecht", UTRECHT),
    }


@pytest.fixture
def editor():
    return maintainer("zh", Role.EDITOR, "PV28")


def reasons(*records: Initiative) -> list[str | None]:
    return [Initiative.objects.get(pk=record.pk).history.latest().history_change_reason for record in records]


def test_a_selection_is_stopped_by_the_models_rules_within_the_region(records, editor):
    selection = Initiative.objects.all()
    last_year = datetime.date(TODAY.year - 1, 6, 1)
    documents.prepare()  # of the records the fixture made outside the actions
    versions = {pk: Initiative.objects.get(pk=pk).history.count() for pk in selection.values_list("pk", flat=True)}

    result = actions.stop_many(selection, last_year, "financiering", acting_user=editor)

    assert result.changed == [records["linde"].pk]
    assert result.unchanged == [records["oud"].pk]
    assert [(record.pk, messages) for record, messages in result.invalid] == [
        (records["nieuw"].pk, ["De stopdatum ligt vóór het oprichtingsjaar."])]
    assert result.refused == 1  # Utrecht: not the editor's, not named
    linde = Initiative.objects.get(pk=records["linde"].pk)
    assert (linde.status, linde.stopped_on, linde.stop_reason) == ("gestopt", last_year, "financiering")
    assert reasons(linde) == ["stopped: financiering"]
    assert linde.history.latest().history_user == editor
    # Only the record that changed has a new version.
    assert {pk: Initiative.objects.get(pk=pk).history.count() - count for pk, count in versions.items()} == {
        records["linde"].pk: 1, records["nieuw"].pk: 0, records["oud"].pk: 0, records["utrecht"].pk: 0}
    # The public document (the read model) says it stopped.
    assert documents.stale_documents() == {"missing": [], "outdated": [], "orphaned": []}


def test_a_stop_date_in_the_future_or_an_unknown_reason_changes_nothing(records, editor):
    result = actions.stop_many(Initiative.objects.all(), TODAY + datetime.timedelta(days=3), "financiering",
                               acting_user=editor)
    assert result.changed == [] and len(result.invalid) == 2
    with pytest.raises(ValidationError):
        actions.stop_many(Initiative.objects.all(), TODAY, "geen-reden", acting_user=editor)
    assert Initiative.objects.filter(status="gestopt").count() == 1


def test_the_writes_are_set_based(records):
    many = [make(f"Buurtkamer {n}", LEIDEN) for n in range(30)]
    few = Initiative.objects.filter(pk__in=[record.pk for record in many[:3]])
    with CaptureQueriesContext(connection) as small:
        actions.mark_verified_many(few, "telefoon", acting_user=None)
    with CaptureQueriesContext(connection) as large:
        actions.mark_verified_many(Initiative.objects.filter(pk__in=[r.pk for r in many]), "telefoon",
                                   acting_user=None)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_selection_is_marked_verified_with_the_method(records, editor):
    result = actions.mark_verified_many(Initiative.objects.all(), "bezoek", datetime.date(2026, 5, 4),
                                        acting_user=editor)

    assert sorted(result.changed) == sorted(records[name].pk for name in ("linde", "nieuw", "oud"))
    assert set(Initiative.objects.filter(pk__in=result.changed).values_list("last_verified_on",
                                                                            "verification_method")) == {
        (datetime.date(2026, 5, 4), "bezoek")}
    assert Initiative.objects.get(pk=records["utrecht"].pk).last_verified_on is None
    assert reasons(records["linde"]) == ["verified (bezoek)"]
    with pytest.raises(ValidationError):
        actions.mark_verified_many(Initiative.objects.all(), "", acting_user=editor)


def test_a_selection_is_assigned_only_to_someone_who_may_change_it(records, editor):
    colleague = maintainer("zh2", Role.EDITOR, "PV28")
    result = actions.assign_many(Initiative.objects.all(), colleague, acting_user=None)

    assert [record.pk for record, _messages in result.invalid] == [records["utrecht"].pk]
    assert set(Initiative.objects.filter(assigned_to=colleague).values_list("name", flat=True)) == {
        "Buurtkamer De Linde", "Buurthuis Nieuw", "Dorpshuis Oud"}
    assert reasons(records["linde"]) == ["assigned to zh2"]

    again = actions.assign_many(Initiative.objects.filter(pk=records["linde"].pk), colleague, acting_user=editor)
    assert (again.changed, again.unchanged) == ([], [records["linde"].pk])
    with pytest.raises(ValidationError):
        actions.assign_many(Initiative.objects.all(), maintainer("lezer", Role.REVIEWER), acting_user=None)
    actions.assign_many(Initiative.objects.filter(pk=records["linde"].pk), None, acting_user=editor)
    assert Initiative.objects.get(pk=records["linde"].pk).assigned_to is None
    assert reasons(records["linde"]) == ["no longer assigned"]


def test_a_reviewer_changes_nothing_in_bulk(records):
    with pytest.raises(NotAllowed):
        actions.stop_many(Initiative.objects.all(), TODAY, "overig", acting_user=maintainer("lezer", Role.REVIEWER))


# -- in the admin ------------------------------------------------------------------------------------


def action(client: Client, name: str, records: list[Initiative], **form: str):
    data = {"action": name, "index": "0", helpers.ACTION_CHECKBOX_NAME: [str(r.pk) for r in records], **form}
    return client.post("/admin/registry/initiative/", data, follow=True)


def test_the_admin_asks_for_the_reason_first_and_then_stops_the_selection(records, editor):
    client = Client()
    client.force_login(editor)
    selection = [records["linde"], records["nieuw"]]

    form = action(client, "stop_selected", selection)
    assert form.templates[0].name == "admin/registry/initiative/bulk_form.html"
    assert [initiative.name for initiative in form.context["shown"]] == ["Buurthuis Nieuw", "Buurtkamer De Linde"]
    assert Initiative.objects.filter(status="gestopt").count() == 1  # nothing yet

    refused = action(client, "stop_selected", selection, apply="1", stopped_on="", stop_reason="")
    assert refused.templates[0].name == "admin/registry/initiative/bulk_form.html"
    assert set(refused.context["form"].errors) == {"stopped_on", "stop_reason"}

    done = action(client, "stop_selected", selection, apply="1", stopped_on="2025-06-01", stop_reason="menskracht")
    assert [str(m) for m in done.context["messages"]] == [
        "1 initiatief gestopt.",
        "Niet gewijzigd, omdat het record het niet toelaat: Buurthuis Nieuw (De stopdatum ligt vóór het "
        "oprichtingsjaar.)"]
    assert Initiative.objects.get(pk=records["linde"].pk).stop_reason == "menskracht"


def test_the_admin_assigns_the_selection_to_an_editor(records, editor):
    client = Client()
    client.force_login(editor)
    form = action(client, "assign_selected", [records["linde"]])
    assert editor.pk in [user.pk for user in form.context["form"].fields["assignee"].queryset]

    done = action(client, "assign_selected", [records["linde"]], apply="1", assignee=str(editor.pk))
    assert [str(m) for m in done.context["messages"]] == ["1 initiatief toegewezen."]
    listed = client.get("/admin/registry/initiative/?assigned=mine")
    assert [i.name for i in listed.context["cl"].result_list] == ["Buurtkamer De Linde"]


def test_a_reviewer_has_no_bulk_actions(records):
    client = Client()
    client.force_login(maintainer("lezer", Role.REVIEWER))
    response = action(client, "stop_selected", [records["linde"]], apply="1", stopped_on="2025-06-01",
                      stop_reason="menskracht")
    assert Initiative.objects.get(pk=records["linde"].pk).status == "actief"
    assert "stop_selected" not in response.content.decode()
