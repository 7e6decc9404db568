"""The one save path (registry.saving): what follows a save is the same for one record, for an
imported list and for a set-based change of areas: waiting suggestions follow their record, one
history entry per record with the user, the reason and the links, translated when shown."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.utils import translation

from registry import actions, importing
from registry.history import Reasons, describe
from registry.importing import ImportOptions
from registry.models import (
    FundingSource,
    Initiative,
    Partner,
    PartnerKind,
    Partnership,
    Service,
    Suggestion,
    SuggestionKind,
)
from tests.conftest import UTRECHT
from tests.registry.import_helpers import administrator, csv_bytes
from tests.registry.test_admin import change_form

pytestmark = pytest.mark.django_db


def waiting_correction(initiative: Initiative) -> Suggestion:
    return actions.submit_suggestion(SuggestionKind.CORRECTION, {"phone": "071 111 1111"}, initiative=initiative)


def region(suggestion: Suggestion) -> tuple[str, str]:
    suggestion.refresh_from_db()
    return (suggestion.municipality.code, suggestion.province.code)


def test_a_waiting_suggestion_follows_its_record_that_an_import_moves(leiden):
    user = administrator()
    leiden.source, leiden.external_id = "Lijst LSA 2026", "L-1"
    leiden.save()
    waiting = waiting_correction(leiden)
    decided = waiting_correction(leiden)
    actions.reject_suggestion(decided, acting_user=user)
    assert region(waiting) == ("GM0546", "PV28")

    # The list puts the record in Utrecht (a street address where it had a postcode centre).
    row = ["L-1", "Buurtkamer De Linde", "bewonersinitiatief", "", "3512 JE", "Utrecht", "52.0907", "5.1214", "",
           ""]
    report = importing.commit(csv_bytes([row]), ImportOptions(source="Lijst LSA 2026", file_name="lijst.csv"),
                              acting_user=user)

    assert report.committed and [row.outcome for row in report.rows] == ["updated"]
    assert region(waiting) == ("GM0344", "PV26")
    assert region(decided) == ("GM0546", "PV28")  # a decided suggestion stays where it was decided
    latest = Initiative.objects.get(pk=leiden.pk).history.latest()
    assert (latest.history_user, latest.municipality.code) == (user, "GM0344")


def test_a_waiting_suggestion_follows_its_record_that_assign_areas_moves(leiden):
    waiting = waiting_correction(leiden)
    # The stored areas no longer fit the point, as after new municipal boundaries were loaded.
    Initiative.objects.filter(pk=leiden.pk).update(location=UTRECHT.clone())

    assert Initiative.objects.all().assign_areas() == 1

    assert region(waiting) == ("GM0344", "PV26")
    latest = Initiative.objects.get(pk=leiden.pk).history.latest()
    assert (latest.history_change_reason, latest.history_user, latest.province.code) == (
        "areas derived again from the point", None, "PV26")
    assert sorted(row.service.code for row in latest.services.all()) == ["ontmoetingsplek", "wijkrestaurant"]


def test_one_save_in_the_admin_makes_one_version_with_only_what_changed(admin_client, leiden):
    versions = leiden.history.count()
    partnership = leiden.partnerships.get()
    form = change_form(leiden, name=leiden.name, short_description="Huiskamer en soep voor de buurt.",
                       legal_form="stichting", kvk_number="12345678", founded_year="2015", street="Breestraat",
                       house_number="1", website="https://linde.example", email="info@linde.example",
                       phone="071 123 4567", volunteers="12", paid_staff="1", reach_per_week="80",
                       description="Koffie, soep en een luisterend oor.", source="Aanmelding",
                       publication_state="gepubliceerd", last_verified_on="2026-03-01",
                       verification_method="telefoon", kind=str(leiden.kind_id),
                       services=[str(Service.objects.get(code="ontmoetingsplek").pk)],
                       funding_sources=[str(pk) for pk in leiden.funding_sources.values_list("pk", flat=True)],
                       **{"partnerships-TOTAL_FORMS": "1", "partnerships-INITIAL_FORMS": "1",
                          "partnerships-0-id": str(partnership.pk), "partnerships-0-initiative": str(leiden.pk),
                          "partnerships-0-partner": str(partnership.partner_id),
                          "partnerships-0-role": str(partnership.role_id), "partnerships-0-start": "2020",
                          "partnerships-0-end": "2023", "partnerships-0-note": ""})

    response = admin_client.post(f"/admin/registry/initiative/{leiden.pk}/change/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    record = Initiative.objects.get(pk=leiden.pk)
    assert record.history.count() == versions + 1
    latest = record.history.latest()
    changed = latest.diff_against(latest.prev_record)
    assert sorted(change.field for change in changed.changes) == ["services", "short_description"]
    assert latest.history_change_reason == "edited; partnerships changed"
    assert Partnership.objects.get(pk=partnership.pk).end == "2023"
    assert [(entry.history_type, entry.end) for entry in partnership.history.order_by("history_id")][-1] == (
        "~", "2023")


def test_a_partnership_written_through_the_api_makes_one_entry_for_its_initiative(leiden):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(administrator())
    versions = leiden.history.count()
    partner = Partner.objects.create(name="Gemeente Leiden", kind=PartnerKind.objects.get(code="gemeente"),
                                     municipality=leiden.municipality)

    response = client.post("/api/v1/partnerships", {"initiative": leiden.pk, "partner": partner.slug,
                                                    "role": "opdrachtgever", "start": "2024"}, format="json")

    assert response.status_code == 201, response.json()
    entries = Initiative.objects.get(pk=leiden.pk).history.order_by("-history_id")
    assert entries.count() == versions + 1
    assert entries[0].history_change_reason == "partnerships changed"
    link = Partnership.objects.get(pk=response.json()["id"])
    assert link.history.get().history_change_reason == "created"


def test_a_merge_and_a_revert_keep_the_links_in_one_version_each(leiden):
    twin = Initiative(name="Buurtkamer de Linde", kind=leiden.kind, location=Point(4.4971, 52.1602, srid=4326),
                      place="Leiden")
    twin.full_clean()
    twin = actions.save_edit(twin, None, acting_user=None, services=Service.objects.filter(code="energie"),
                             funding_sources=FundingSource.objects.filter(code="crowdfunding"))
    versions = leiden.history.count()

    kept = actions.merge(leiden, twin, acting_user=None)

    assert kept.history.count() == versions + 1
    merged = kept.history.latest()
    assert sorted(row.service.code for row in merged.services.all()) == ["energie", "ontmoetingsplek",
                                                                         "wijkrestaurant"]
    first = kept.history.earliest()
    actions.revert(kept, first.history_id, acting_user=None)
    reverted = Initiative.objects.get(pk=leiden.pk)
    assert kept.history.count() == versions + 2
    assert sorted(reverted.services.values_list("code", flat=True)) == sorted(
        row.service.code for row in first.services.all())


@pytest.mark.parametrize(("stored", "dutch", "english"), [
    ("edited", "bewerkt", "edited"),
    ("stopped: menskracht; verified (telefoon)", "gestopt: gebrek aan mensen; gecontroleerd (telefonisch)",
     "stopped: lack of people; verified (by phone)"),
    ("import (Lijst LSA): updated telefoon, website", "import (Lijst LSA): bijgewerkt telefoon, website",
     "import (Lijst LSA): updated telefoon, website"),
    ("merged with #12 (de-linde)", "samengevoegd met #12 (de-linde)", "merged with #12 (de-linde)"),
    ("a reason from before the constants", "a reason from before the constants",
     "a reason from before the constants"),
    # A value holding the separator, followed by more of its reason, stays one value; a reason after
    # it is still a reason of its own. (A value that ends its reason reads the same either way.)
    ("import (lijst; oud): updated telefoon; edited", "import (lijst; oud): bijgewerkt telefoon; bewerkt",
     "import (lijst; oud): updated telefoon; edited"),
    ("partner changed: Dorpsraad; Stichting Kern; edited", "partner gewijzigd: Dorpsraad; Stichting Kern; bewerkt",
     "partner changed: Dorpsraad; Stichting Kern; edited"),
    ("edited; an old free reason", "bewerkt; an old free reason", "edited; an old free reason"),
    ("figures import (lijst; 2025.xlsx); verified (telefoon)", "cijferimport (lijst; 2025.xlsx); gecontroleerd "
     "(telefonisch)", "figures import (lijst; 2025.xlsx); verified (by phone)"),
    ("partner deleted: Kern; verified (telefoon)", "partner verwijderd: Kern; gecontroleerd (telefonisch)",
     "partner deleted: Kern; verified (by phone)"),
])
def test_reasons_are_stored_as_stable_text_and_shown_in_the_readers_language(stored, dutch, english):
    with translation.override("nl"):
        assert describe(stored) == dutch
    with translation.override("en"):
        assert describe(stored) == english


def test_every_reason_template_reads_back_as_itself():
    for reason in Reasons.all():
        names = {name: f"x{number}" for number, name in enumerate(reason.pattern.groupindex)}
        assert reason.pattern.match(reason.text(**names)).groupdict() == names
