"""Maintainers work in the Django admin: map widget from our own files, filters, search, inlines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.staticfiles import finders

from registry.models import Initiative, Kind, Partner, PartnerKind, PartnershipRole, Service
from registry.operations.demo import seed_demo
from tests.conftest import made_once

CDN_HOSTS = re.compile(r"cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|openstreetmap\.org")


def test_the_add_page_shows_a_map_served_from_our_own_static_files(admin_client):
    html = admin_client.get("/admin/registry/initiative/add/").content.decode()

    assert '<script src="/static/vendor/ol/dist/ol.js">' in html
    assert '<link href="/static/vendor/ol/ol.css"' in html
    assert "service.pdok.nl/brt/achtergrondkaart" in html
    assert not CDN_HOSTS.search(html)
    assert finders.find("vendor/ol/dist/ol.js") and finders.find("vendor/ol/ol.css")


@pytest.fixture(scope="class")
def demo_register(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with made_once(django_db_blocker, lambda: seed_demo(60, seed=4)):
        yield


class TestOnADemoRegister:
    """The list and its search on 60 demo initiatives, seeded once for these tests (seeding takes
    seconds) and rolled back after them; what a test changes is undone after it."""

    @pytest.fixture
    def demo(self, demo_register: None, db: None) -> None:
        pass

    @pytest.mark.parametrize(("query", "expected"), [
        ("", Initiative.objects.all),
        ("?kind__id__exact={kind}", lambda: Initiative.objects.filter(kind__code="dorpscooperatie")),
        ("?services__id__exact={service}", lambda: Initiative.objects.filter(services__code="winkel")),
        ("?province__id__exact={province}", lambda: Initiative.objects.filter(province__code="PV28")),
        ("?status__exact=gestopt", lambda: Initiative.objects.filter(status="gestopt")),
        ("?publication_state__exact=concept", lambda: Initiative.objects.filter(publication_state="concept")),
        # The register's one search (registry.search): also a kind whose label holds the word.
        ("?q=coöperatie", lambda: Initiative.objects.filter(name__icontains="coöperatie")
         | Initiative.objects.filter(kind__code__in=["dorpscooperatie", "zorgcooperatie", "buurtcooperatie"])),
    ])
    def test_the_list_filters_and_search_narrow_the_list(self, admin_client, demo, query, expected):
        from geo.models import Province

        ids = {"kind": Kind.objects.get(code="dorpscooperatie").pk, "service": Service.objects.get(code="winkel").pk,
               "province": Province.objects.get(code="PV28").pk}
        response = admin_client.get(f"/admin/registry/initiative/{query.format(**ids)}")

        shown = {i.pk for i in response.context["cl"].queryset}
        assert shown == set(expected().values_list("pk", flat=True))
        assert 0 < len(shown) <= 60 and (query == "" or len(shown) < 60)

    def test_the_list_shows_derived_areas(self, admin_client, demo):
        html = admin_client.get("/admin/registry/initiative/?q=Leiden").content.decode()
        assert "Zuid-Holland" in html

    def test_the_search_puts_the_best_match_first_unless_a_column_is_chosen(self, admin_client, demo):
        target = Initiative.objects.filter(kind__code="zorgcooperatie").order_by("pk").first()
        assert target is not None
        first = admin_client.get(f"/admin/registry/initiative/?q={target.name}").context["cl"].result_list[0]
        assert first == target
        by_name = admin_client.get(f"/admin/registry/initiative/?q={target.name}&o=1").context["cl"].result_list
        assert list(by_name) == sorted(by_name, key=lambda i: i.name)

    def test_the_search_finds_a_record_by_its_kvk_number_typed_whole(self, admin_client, demo):
        record = Initiative.objects.exclude(kvk_number="").order_by("pk").first()
        assert record is not None
        shown = admin_client.get(f"/admin/registry/initiative/?q={record.kvk_number}").context["cl"].result_list
        assert [i.pk for i in shown] == [record.pk]


def add_form(**overrides: str) -> dict[str, str]:
    form = {
        "name": "Buurtkamer De Linde", "slug": "", "kind": str(Kind.objects.get(code="bewonersinitiatief").pk),
        "services": [str(Service.objects.get(code="ontmoetingsplek").pk)],
        "short_description": "", "description": "", "legal_form": "stichting", "kvk_number": "1234 5678",
        "founded_year": "2019", "website": "https://buurtkamer.example", "email": "", "phone": "",
        "volunteers": "", "paid_staff": "", "reach_per_week": "", "status": "actief", "stopped_on": "",
        "stop_reason": "", "street": "Breestraat", "house_number": "1", "postcode": "2311ez", "place": "Leiden",
        "location": "", "publication_state": "concept", "source": "", "source_url": "", "last_verified_on": "",
        "verification_method": "",
        "partnerships-TOTAL_FORMS": "1", "partnerships-INITIAL_FORMS": "0",
        "partnerships-MIN_NUM_FORMS": "0", "partnerships-MAX_NUM_FORMS": "1000",
        "partnerships-0-partner": "", "partnerships-0-role": "", "partnerships-0-start": "",
        "partnerships-0-end": "", "partnerships-0-note": "",
        "slug_aliases-TOTAL_FORMS": "0", "slug_aliases-INITIAL_FORMS": "0",
        "slug_aliases-MIN_NUM_FORMS": "0", "slug_aliases-MAX_NUM_FORMS": "1000",
    }
    form.update(overrides)
    return form


def test_adding_through_the_admin_uses_the_model_rules(admin_client):
    fund = Partner.objects.create(name="VSBfonds", kind=PartnerKind.objects.get(code="vermogensfonds"))
    form = add_form(**{"partnerships-0-partner": str(fund.pk),
                       "partnerships-0-role": str(PartnershipRole.objects.get(code="financier").pk),
                       "partnerships-0-start": "2022"})

    response = admin_client.post("/admin/registry/initiative/add/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    initiative = Initiative.objects.get()
    assert (initiative.slug, initiative.postcode, initiative.kvk_number) == ("buurtkamer-de-linde", "2311 EZ",
                                                                              "12345678")
    assert (initiative.municipality.code, initiative.is_location_approximate) == ("GM0546", True)
    assert list(initiative.partnerships.values_list("partner__name", "role__code", "start")) == [
        ("VSBfonds", "financier", "2022")]
    assert initiative.history.earliest().history_type == "+"


def test_a_point_placed_on_the_admin_map_is_exact(admin_client):
    # The widget posts GeoJSON in WGS84, as geo/static/geo/point-map-widget.js writes it.
    point = GEOSGeometry("POINT(4.4970 52.1601)", srid=4326)
    response = admin_client.post("/admin/registry/initiative/add/", add_form(location=point.json))

    assert response.status_code == 302
    initiative = Initiative.objects.get()
    assert initiative.is_location_approximate is False
    assert (round(initiative.location.x, 4), round(initiative.location.y, 4)) == (4.4970, 52.1601)


def test_bad_input_in_the_admin_is_shown_on_its_field_and_nothing_is_saved(admin_client):
    response = admin_client.post("/admin/registry/initiative/add/", add_form(
        kvk_number="123", postcode="9999 SS", status="gestopt", website="ftp://dorpshuis.nl"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {field: list(messages) for field, messages in errors.items()} == {
        "kvk_number": ["Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678; “123” niet."],
        "postcode": ["“9999 SS” is geen Nederlandse postcode: de letters SS worden nooit gebruikt."],
        "website": ["Vul een volledig webadres in dat begint met https:// of http://."],
        "stopped_on": ["Een gestopt initiatief heeft een stopdatum nodig."],
        "stop_reason": ["Een gestopt initiatief heeft een reden van stoppen nodig (kies “overig” als die "
                        "onbekend is)."],
    }
    assert Initiative.objects.count() == 0


@pytest.fixture
def placed_in_leiden(db):
    """A Leiden record with a point placed by hand, and an editor for Zuid-Holland."""
    from django.contrib.gis.geos import Point

    record = Initiative(name="Buurthuis Kaartproef", kind=Kind.objects.get(code="bewonersinitiatief"),
                        postcode="2311 EZ", place="Leiden", location=Point(4.4970, 52.1601, srid=4326))
    record.full_clean()
    record.save()
    return record


def change_form(record: Initiative, **overrides: str) -> dict[str, str]:
    stored = {"name": record.name, "slug": record.slug, "legal_form": "", "kvk_number": "", "founded_year": "",
              "website": "", "street": "", "house_number": "", "postcode": record.postcode, "place": record.place,
              "location": record.location.json, "services": []}
    return add_form(**{**stored, **overrides})


def test_an_editor_who_moves_a_point_out_of_the_region_keeps_an_editable_form(client, placed_in_leiden):
    from tests.maintainers import editor

    client.force_login(editor())
    response = client.post(f"/admin/registry/initiative/{placed_in_leiden.pk}/change/",
                           change_form(placed_in_leiden, location='{"type":"Point","coordinates":[6.5665,53.2194]}'))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["location"] == [
        "Deze locatie ligt in Groningen, buiten uw regio (Zuid-Holland)."]
    # Judged by the record as stored, not by where the refused point would have put it.
    assert response.context["has_change_permission"] and response.context["has_view_permission"]
    assert Initiative.objects.get().location.coords == (4.4970, 52.1601)


def test_the_stored_point_posted_back_is_no_change(admin_client, placed_in_leiden):
    versions = placed_in_leiden.history.count()
    response = admin_client.post(f"/admin/registry/initiative/{placed_in_leiden.pk}/change/",
                                 change_form(placed_in_leiden, short_description="Elke ochtend koffie."))

    assert response.status_code == 302
    latest = Initiative.objects.get().history.latest()
    assert placed_in_leiden.history.count() == versions + 1
    assert [change.field for change in latest.diff_against(latest.prev_record).changes] == ["short_description"]


def test_a_new_postcode_under_a_placed_point_is_a_question_first(admin_client, placed_in_leiden):
    url = f"/admin/registry/initiative/{placed_in_leiden.pk}/change/"

    asked = admin_client.post(url, change_form(placed_in_leiden, postcode="2314 AB"))
    assert asked.status_code == 200
    assert asked.context["adminform"].form.errors == {"point_after_postcode": [
        "De postcode is veranderd van 2311 EZ naar 2314 AB, maar het punt op de kaart is met de hand geplaatst "
        "en niet verplaatst. Verplaatst u het naar het nieuwe postcodegebied, of laat u het staan?"]}
    assert Initiative.objects.get().postcode == "2311 EZ"

    assert admin_client.post(url, change_form(placed_in_leiden, postcode="2314 AB",
                                              point_after_postcode="move")).status_code == 302
    moved = Initiative.objects.get()
    assert (moved.postcode, moved.is_location_approximate) == ("2314 AB", True)
    assert moved.location.coords == (4.5159, 52.1515)  # the centre of PC4 2314
