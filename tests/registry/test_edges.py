"""Edges found in review: partial loading, partial forms, set-based changes leave a trace."""

from __future__ import annotations

import pytest
from django.forms import modelform_factory

from registry.models import Initiative, Status
from tests.conftest import LEIDEN, NORTH_SEA


@pytest.mark.parametrize("load", [
    lambda: Initiative.objects.only("id", "name").get(),
    lambda: Initiative.objects.defer("location", "slug", "postcode").get(),
])
def test_records_load_with_deferred_fields_and_save_unchanged(make_initiative, load):
    original = make_initiative(postcode="2311 EZ")
    original.save()

    partial = load()
    assert (partial.slug, partial.postcode, partial.location.equals_exact(LEIDEN, 1e-9)) == (
        "dorpscooperatie-testdorp", "2311 EZ", True)
    partial.name = "Nieuwe naam"
    partial.save()
    stored = Initiative.objects.get()
    assert (stored.name, stored.location_precision, stored.municipality.code) == ("Nieuwe naam", "exact", "GM0546")


def test_a_form_without_the_location_field_shows_the_location_error_on_the_form(db):
    from registry.models import Kind

    form_class = modelform_factory(Initiative, fields=["name", "kind", "postcode", "status"])
    form = form_class(data={"name": "Zonder punt", "kind": Kind.objects.get(code="wijkonderneming").pk,
                            "postcode": "1000 AA", "status": Status.STOPPED})

    assert not form.is_valid()
    assert form.errors == {
        "postcode": ["Postcode 1000 staat niet in de postcodetabel."],
        "__all__": ["Gestopt op: Een gestopt initiatief heeft een stopdatum nodig.",
                    "Reden van stoppen: Een gestopt initiatief heeft een reden van stoppen nodig (kies “overig” "
                    "als die onbekend is)."],
    }


def test_set_based_assignment_leaves_a_history_entry_and_a_new_update_time(make_initiative):
    initiative = make_initiative()
    initiative.save()
    Initiative.objects.filter(pk=initiative.pk).update(municipality=None, province=None)
    before = Initiative.objects.get().updated_at

    assert Initiative.objects.all().assign_areas() == 1

    stored = Initiative.objects.get()
    assert stored.updated_at > before
    latest = stored.history.latest()
    assert (latest.history_type, latest.history_change_reason, latest.municipality.code) == (
        "~", "areas derived again from the point", "GM0546")


def test_a_point_on_the_edge_of_a_box_is_in_the_box(make_initiative):
    make_initiative().save()
    assert Initiative.objects.in_bbox(LEIDEN.x, LEIDEN.y, LEIDEN.x + 0.1, LEIDEN.y + 0.1).count() == 1


def test_the_admin_publishes_the_valid_records_and_names_the_invalid_ones(admin_client, make_initiative):
    good, bad = make_initiative(name="Goed"), make_initiative(name="Fout")
    good.save()
    bad.save()
    Initiative.objects.filter(pk=bad.pk).update(phone="bel ons", location=NORTH_SEA)

    response = admin_client.post("/admin/registry/initiative/", {
        "action": "publish", "_selected_action": [good.pk, bad.pk]}, follow=True)

    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert texts[0] == "1 initiatieven gepubliceerd."
    assert texts[1].startswith("Niet gewijzigd, omdat het record niet geldig is: Fout (")
    assert "telefoonnummer" in texts[1]
    assert dict(Initiative.objects.values_list("name", "publication_state")) == {
        "Goed": "gepubliceerd", "Fout": "concept"}
