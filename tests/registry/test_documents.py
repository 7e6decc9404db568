"""The read model (registry.documents): every document a read assembles from prepared parts is,
byte for byte, what the serializers and the open-data writers made before (they stay here as the
oracle), in Dutch and in English; it is prepared again after every kind of change that shows in
it; a write around the actions is found by the check; a document that cannot be prepared fails
the write that caused it."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.models import Count
from django.test import Client
from django.utils import translation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.serializers.initiatives import InitiativeDetailSerializer, InitiativeFeatureSerializer, InitiativeSerializer
from geo.models import Municipality
from geo.signals import areas_reloaded
from registry import actions, documents
from registry.columns import INITIATIVE_COLUMNS, LIST_SEPARATOR, PARTNERSHIP_COLUMNS, values_query
from registry.models import (
    FiguresDocument,
    Initiative,
    InitiativeDocument,
    Kind,
    Partner,
    PartnerKind,
    Partnership,
    PublicationState,
    Service,
    SocialValueEvidence,
    YearlyFigures,
)
from registry.operations.demo import seed_demo
from tests.conftest import LEIDEN, made_once, make, partnership

pytestmark = pytest.mark.django_db

HOSTILE = 'Quote " back\\slash \n new line \t tab \x01 ctl \u2028 ls \u2029 ps \U0001F331 Coöperatie </script> {{x}}'


# -- the oracle: how the serializers and the open-data writers made the documents before -----------


def serialized(record: Initiative, *, feature: bool = False, detail: bool = False) -> bytes:
    """`detail`: the record as /initiatives/{id} has it, with its public yearly figures."""
    request = Request(APIRequestFactory().get("/api/v1/initiatives"))
    kind = InitiativeFeatureSerializer if feature else InitiativeDetailSerializer if detail else InitiativeSerializer
    serializer = kind(record, context={"request": request})
    return JSONRenderer().render(serializer.data)


def plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def old_csv(rows: Iterator[tuple[Any, ...]], columns: list[Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in columns])
    for record in rows:
        writer.writerow(["" if value is None else plain(value) for value in record])
    return buffer.getvalue()


def old_initiatives_csv() -> str:
    return old_csv(iter(values_query(Initiative.objects.published(), INITIATIVE_COLUMNS, ["pk"])),
                   INITIATIVE_COLUMNS)


def old_partnerships_csv() -> str:
    links = Partnership.objects.filter(initiative__in=Initiative.objects.published().values("pk"))
    return old_csv(iter(values_query(links, PARTNERSHIP_COLUMNS, ["initiative_id", "partner__name", "role__order",
                                                                  "pk"])), PARTNERSHIP_COLUMNS)


def old_geojson() -> str:
    lines = []
    for record in values_query(Initiative.objects.published(), INITIATIVE_COLUMNS, ["pk"]):
        values = {}
        for column, value in zip(INITIATIVE_COLUMNS, record, strict=True):
            if column.is_list:
                value = value.split(LIST_SEPARATOR) if value else []
            values[column.name] = plain(value)
        point = [values.pop("longitude"), values.pop("latitude")]
        lines.append(json.dumps({"type": "Feature", "id": values["id"], "geometry": {
            "type": "Point", "coordinates": point}, "properties": values}, ensure_ascii=False, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


# -- a register with what the demo lacks -------------------------------------------------------------


@pytest.fixture(scope="module")
def made_register(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[int]]:
    """Made once for the module (seeding takes seconds); each test's changes are rolled back."""
    with made_once(django_db_blocker, make_register) as made:
        yield made


@pytest.fixture
def register(made_register: list[int], db: None) -> list[int]:
    return made_register


def make_register() -> list[int]:
    seed_demo(120, seed=5)
    hostile = make(HOSTILE + " naam", LEIDEN, description=HOSTILE * 2, street='Straat "x"', founded_year=None,
                   services=["winkel", "energie"], funding_sources=["subsidie"])
    whole = make("Rond punt", Point(5, 52, srid=4326), volunteers=None, paid_staff=0)
    partner = Partner.objects.create(name='Fonds "De" Stéén \\ ☃', kind=PartnerKind.objects.get(code="vermogensfonds"))
    partnership(hostile, partner, "financier", start="2021", end="2024-06-30")
    partnership(whole, partner, "lening", start="2020")
    # Moments the API writes in all their forms: whole seconds, summer time, the repeated autumn hour.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE registry_initiative SET created_at = date_trunc('second', created_at), "
                       "updated_at = timestamptz '2026-07-01 10:00:00+02' WHERE id = %s", [hostile.pk])
        cursor.execute("UPDATE registry_initiative SET updated_at = timestamptz '2026-03-29 03:00:00.5+02', "
                       "created_at = timestamptz '2026-10-25 02:30:00.000001+01' WHERE id = %s", [whole.pk])
    documents.prepare([hostile.pk, whole.pk])
    return [hostile.pk, whole.pk]


def published() -> list[Initiative]:
    return list(Initiative.objects.published().with_related().order_by("name", "pk"))


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_record_and_feature_is_what_the_serializers_made(client: Client, register: list[int], language: str):
    records = published()
    assert len(records) > 100 and set(register) <= {record.pk for record in records}
    # The demo's yearly figures: the detail's `yearlyFigures` is compared where it holds years too.
    assert YearlyFigures.objects.filter(public=True, initiative__in=records).count() > 20
    with translation.override(language):
        for record in records:
            url = f"/api/v1/initiatives/{record.pk}"
            assert client.get(url, HTTP_ACCEPT_LANGUAGE=language).content == serialized(record, detail=True), record.pk
            assert client.get(url + "?format=geojson", HTTP_ACCEPT_LANGUAGE=language).content == serialized(
                record, feature=True), record.pk


def test_a_list_and_a_collection_are_what_the_serializers_made(client: Client, register: list[int]):
    records = published()
    page = client.get("/api/v1/initiatives?pageSize=1000").content
    expected = JSONRenderer().render({"count": len(records), "next": None, "previous": None,
                                      "results": [json.loads(serialized(record)) for record in records]})
    assert page == expected

    second = json.loads(client.get("/api/v1/initiatives?pageSize=50&page=2&format=geojson").content)
    assert second["numberMatched"] == len(records) and second["numberReturned"] == 50
    assert second["features"] == [json.loads(serialized(record, feature=True)) for record in records[50:100]]
    assert [link["rel"] for link in second["links"]] == ["next", "previous"]


def test_the_open_data_files_are_what_the_writers_made(client: Client, register: list[int]):
    def body(path: str) -> str:
        return b"".join(client.get(path).streaming_content).decode()

    assert body("/opendata/initiatives.csv") == old_initiatives_csv()
    assert body("/opendata/partnerships.csv") == old_partnerships_csv()
    assert body("/opendata/initiatives.geojson") == old_geojson()


def test_the_map_shows_every_published_record_with_its_services(client: Client, register: list[int]):
    collection = json.loads(client.get("/api/v1/initiatives/map").content)
    records = {record.pk: record for record in published()}
    assert [feature["id"] for feature in collection["features"]] == sorted(records)
    hostile = next(feature for feature in collection["features"] if feature["id"] == register[0])
    assert hostile["properties"] == {"slug": records[register[0]].slug, "name": HOSTILE + " naam",
                                     "kind": "dorpscooperatie", "services": ["winkel", "energie"],
                                     "place": "", "lastVerifiedOn": None, "stale": True}


def test_the_url_spliced_into_a_document_is_escaped_as_json(register: list[int]):
    # The list's URL is written into every record and Feature as the inside of a JSON string; a base
    # with a quote, a backslash, a control character and a letter outside ASCII stays one valid string.
    base = 'http://testserver/"quoted"\\back\tslash/ë'
    record = Initiative.objects.published().filter(pk__in=register).order_by("pk")[:1]
    pk = record[0].pk
    for kind in ("record", "feature"):
        document = json.loads(documents.assemble(record, kind, base=base))
        url = document["url"] if kind == "record" else document["properties"]["url"]
        assert url == f"{base}/{pk}"


# -- kept current ------------------------------------------------------------------------------------


def current(*ids: int) -> None:
    """The stored documents of these records equal what the serializers make now, the detail's too."""
    for record in Initiative.objects.filter(pk__in=ids).with_related():
        one = Initiative.objects.filter(pk=record.pk)
        assert documents.assemble(one, "record", base="http://testserver/api/v1/initiatives") == serialized(record)
        assert documents.assemble(one, "detail", base="http://testserver/api/v1/initiatives") == serialized(
            record, detail=True)
    assert documents.stale_documents() == {"missing": [], "outdated": [], "orphaned": []}


def test_a_vocabulary_label_reaches_every_document_that_shows_it(register: list[int]):
    from registry.history import last_change

    version = last_change()
    term = Service.objects.get(code="winkel")
    term.label_en = "Village shop (run by residents)"
    actions.save_term(term, acting_user=None)
    assert last_change() > version  # no history entry, yet kept answers and Last-Modified follow

    showing = list(Initiative.objects.filter(services=term).values_list("pk", flat=True))
    assert register[0] in showing
    current(*showing)


def test_a_partner_renamed_reaches_its_initiatives(register: list[int]):
    from registry import changes

    partner = Partner.objects.get(partnerships__initiative=register[0])
    showing = sorted(Initiative.objects.filter(partnerships__partner=partner).values_list("pk", flat=True))
    before = Partner.objects.get(pk=partner.pk)
    cursor = changes.latest_id()
    partner.name = "Fonds De Steen"
    actions.save_partner(partner, before, acting_user=None)

    current(*register)
    assert "Fonds De Steen" in InitiativeDocument.objects.get(pk=register[1]).body
    # Their records changed, so the change feed (and so webhooks and digests) lists each, once.
    events, more = changes.after(cursor, 100)
    assert not more and sorted(event.id for event in events) == showing
    assert {(event.action, event.reason) for event in events} == {("updated", f"partner changed: {before.name}")}
    with translation.override("nl"):
        from registry.history import describe

        assert describe(events[0].reason) == f"partner gewijzigd: {before.name}"


def test_a_renamed_municipality_reaches_its_initiatives(register: list[int]):
    leiden = Municipality.objects.get(code="GM0546")
    leiden.name = "Leiden (Sleutelstad)"
    leiden.save()
    areas_reloaded.send(sender=Municipality)  # as load_areas does after loading new boundaries

    assert '"name":"Leiden (Sleutelstad)"' in InitiativeDocument.objects.get(pk=register[0]).body
    current(register[0])


def test_a_merge_leaves_the_kept_document_current_and_none_for_the_removed(register: list[int]):
    kept, removed = register
    actions.merge(Initiative.objects.get(pk=kept), Initiative.objects.get(pk=removed), acting_user=None)

    assert not InitiativeDocument.objects.filter(pk=removed).exists()
    document = InitiativeDocument.objects.get(pk=kept)
    assert document.body.count('"partner":') == 2  # the removed record's partnership moved along
    current(kept)


def test_a_write_around_the_actions_is_found_and_repaired(register: list[int]):
    Initiative.objects.filter(pk=register[0]).update(name="Buiten de acties om")
    InitiativeDocument.objects.filter(pk=register[1]).delete()

    assert documents.stale_documents() == {"missing": [register[1]], "outdated": [register[0]], "orphaned": []}
    out = io.StringIO()
    call_command("check_documents", "--repair", stdout=out)
    assert out.getvalue().strip() == (
        "2 documents differed from a fresh build (1 missing, 1 outdated, 0 orphaned); repaired.")
    current(*register)


def test_a_record_missing_its_document_and_its_members_is_counted_once(register: list[int]):
    record = with_public_years(register)
    InitiativeDocument.objects.filter(pk=record.pk).delete()
    FiguresDocument.objects.filter(pk=record.pk).delete()

    assert documents.stale_documents() == {"missing": [record.pk], "outdated": [], "orphaned": []}
    out = io.StringIO()
    call_command("check_documents", "--repair", stdout=out)
    assert out.getvalue().strip() == (
        "1 documents differed from a fresh build (1 missing, 0 outdated, 0 orphaned); repaired.")
    current(record.pk)


def test_a_document_that_cannot_be_prepared_fails_the_write(register: list[int], monkeypatch):
    record = Initiative.objects.get(pk=register[0])
    before = Initiative.objects.get(pk=record.pk)
    monkeypatch.setattr(documents, "_MARKER", "'{' || i.no_such_column")  # a mistake in the builder
    record.name = "Nieuwe naam"

    with pytest.raises(DatabaseError):
        actions.save_edit(record, before, acting_user=None)

    assert Initiative.objects.get(pk=record.pk).name == HOSTILE + " naam"
    assert Initiative.objects.get(pk=record.pk).history.count() == before.history.count()


def test_rebuild_prepares_all_and_writes_only_what_differs(register: list[int]):
    out = io.StringIO()
    call_command("rebuild_documents", stdout=out)
    assert out.getvalue().strip() == f"{Initiative.objects.count()} documents checked; 0 prepared again."
    Kind.objects.filter(code="dorpscooperatie").update(label_en="Village co-op")  # around the actions
    call_command("rebuild_documents", stdout=out)
    expected = Initiative.objects.filter(kind__code="dorpscooperatie").count()
    assert out.getvalue().strip().splitlines()[-1] == (
        f"{Initiative.objects.count()} documents checked; {expected} prepared again.")
    assert documents.stale_documents()["outdated"] == []


def test_a_draft_has_a_document_for_its_maintainers_but_not_in_the_public_lists(client: Client, register: list[int]):
    draft = make("Nog niet openbaar", LEIDEN, publication_state=PublicationState.DRAFT)
    assert InitiativeDocument.objects.filter(pk=draft.pk).exists()
    assert client.get(f"/api/v1/initiatives/{draft.pk}").status_code == 404
    assert draft.pk not in [r["id"] for r in client.get("/api/v1/initiatives?pageSize=1000").json()["results"]]


# -- what only the detail shows: public yearly figures and evidence (registry.figures) ----------------


def with_public_years(register: list[int]) -> Initiative:
    """A demo record with at least two public years (so that a change shows in an indicator)."""
    pk = (YearlyFigures.objects.filter(public=True, initiative__publication_state=PublicationState.PUBLISHED)
          .values("initiative_id").annotate(years=Count("pk")).filter(years__gte=2)
          .order_by("initiative_id").values_list("initiative_id", flat=True).first())
    assert pk is not None and FiguresDocument.objects.filter(pk=pk).exists()
    return Initiative.objects.get(pk=pk)


def test_the_detail_follows_every_change_of_its_figures_and_evidence(client: Client, register: list[int]):
    record = with_public_years(register)
    years = list(YearlyFigures.objects.filter(initiative=record, public=True).order_by("year"))
    years[-1].income_own = (years[-1].income_own or 0) + 1234
    actions.save_figures(years[-1], acting_user=None)
    current(record.pk)
    years[0].public = False  # consent withdrawn: the year and the change against it leave the detail
    actions.save_figures(years[0], acting_user=None)
    current(record.pk)
    assert str(years[0].year) not in [str(y["year"]) for y in client.get(
        f"/api/v1/initiatives/{record.pk}").json()["yearlyFigures"]]
    shown = SocialValueEvidence(initiative=record, method="sroi", year=2024, result="Drie euro per euro \u2028.",
                                figure="3.10")
    shown.full_clean()
    actions.save_evidence(shown, acting_user=None)
    current(record.pk)
    actions.delete_figures(years[-1], acting_user=None)
    actions.delete_evidence(shown, acting_user=None)
    current(record.pk)


def test_a_record_without_figures_keeps_no_members_and_one_unpublished_shows_none(client: Client,
                                                                                  register: list[int]):
    record = with_public_years(register)
    before = Initiative.objects.get(pk=record.pk)
    record.publication_state = PublicationState.DRAFT
    actions.save_edit(record, before, acting_user=None)

    assert not FiguresDocument.objects.filter(pk=record.pk).exists()
    current(record.pk)
    bare = Initiative.objects.exclude(yearly_figures__public=True).exclude(social_value_evidence__isnull=False)
    assert not FiguresDocument.objects.filter(initiative__in=bare).exists()

    before = Initiative.objects.get(pk=record.pk)
    record.publication_state = PublicationState.PUBLISHED  # published again: its public years are back
    actions.save_edit(record, before, acting_user=None)
    assert '"yearlyFigures":[{"year":' in FiguresDocument.objects.get(pk=record.pk).members
    current(record.pk)


def test_a_commissioning_partner_renamed_or_deleted_reaches_the_detail(register: list[int]):
    record = with_public_years(register)
    year = YearlyFigures.objects.filter(initiative=record, public=True).first()
    partner = Partner.objects.create(name="Gemeente als opdrachtgever", kind=PartnerKind.objects.get(code="gemeente"))
    year.commissioning_partner = partner
    actions.save_figures(year, acting_user=None)
    assert "Gemeente als opdrachtgever" in FiguresDocument.objects.get(pk=record.pk).members

    before = Partner.objects.get(pk=partner.pk)
    partner.name = "Gemeente, afdeling Sociaal Domein"
    actions.save_partner(partner, before, acting_user=None)
    assert "afdeling Sociaal Domein" in FiguresDocument.objects.get(pk=record.pk).members
    current(record.pk)

    from registry import changes

    cursor = changes.latest_id()
    actions.delete_partner(partner, acting_user=None)
    assert "afdeling Sociaal Domein" not in FiguresDocument.objects.get(pk=record.pk).members
    current(record.pk)
    events, _more = changes.after(cursor, 100)
    assert [(event.id, event.reason) for event in events] == [
        (record.pk, "partner deleted: Gemeente, afdeling Sociaal Domein")]


def test_a_partner_that_commissioned_a_year_in_private_leaves_no_trace_in_the_feed(register: list[int]):
    """A rename versions only records whose public record shows the partner: the feed must not tell
    which initiatives have private years commissioned by it."""
    from registry import changes

    record = Initiative.objects.get(pk=register[0])
    partner = Partner.objects.create(name="Stichting Stil", kind=PartnerKind.objects.get(code="gemeente"))
    private = YearlyFigures.objects.create(initiative=record, year=2019, commissioning_partner=partner, public=False)
    actions.save_figures(private, acting_user=None)
    members = FiguresDocument.objects.filter(pk=record.pk).values_list("members", flat=True).first()
    updated_at = Initiative.objects.get(pk=record.pk).updated_at
    cursor = changes.latest_id()

    before = Partner.objects.get(pk=partner.pk)
    partner.name = "Stichting Luid"
    actions.save_partner(partner, before, acting_user=None)
    actions.delete_partner(partner, acting_user=None)

    assert changes.after(cursor, 100) == ([], False)
    assert Initiative.objects.get(pk=record.pk).updated_at == updated_at
    assert FiguresDocument.objects.filter(pk=record.pk).values_list("members", flat=True).first() == members
    current(record.pk)


def test_figures_written_around_the_actions_are_found_and_repaired(register: list[int]):
    from registry.history import last_change

    record = with_public_years(register)
    YearlyFigures.objects.filter(initiative=record, public=True).update(income_own=7)
    version = last_change()

    assert documents.stale_documents() == {"missing": [], "outdated": [record.pk], "orphaned": []}
    call_command("check_documents", "--repair", stdout=io.StringIO())
    current(record.pk)
    assert last_change() > version  # kept answers and Last-Modified follow the repaired members


def test_a_register_migrated_to_prepared_members_gets_them_after_migrating(register: list[int]):
    shown = list(FiguresDocument.objects.order_by("pk").values_list("pk", "members"))
    FiguresDocument.objects.all().delete()  # as before migration 0028

    call_command("migrate", verbosity=0)

    assert list(FiguresDocument.objects.order_by("pk").values_list("pk", "members")) == shown
    assert len(shown) > 20
