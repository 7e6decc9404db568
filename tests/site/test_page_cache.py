"""Public pages for anonymous visitors come from the shared cache while the register is unchanged."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry import actions
from tests.maintainers import administrator


def test_a_page_is_built_once_and_then_served_from_the_cache_until_the_register_changes(client: Client, leiden):
    url = reverse("registry:initiative", args=[leiden.slug])

    with CaptureQueriesContext(connection) as first:
        built = client.get(url)
    with CaptureQueriesContext(connection) as second:
        kept = client.get(url)
    # Counted now: the next request empties the connection's query log.
    built_queries, kept_queries = len(first), len(second)
    leiden.short_description = "Nieuwe omschrijving."
    actions.save_edit(leiden, type(leiden).objects.get(pk=leiden.pk), acting_user=administrator())
    changed = client.get(url)

    assert kept.content == built.content
    assert kept["Content-Type"] == built["Content-Type"] == "text/html; charset=utf-8"
    # The kept page costs two queries: the register's version and the cache entry.
    assert kept_queries == 2 < built_queries
    assert "Huiskamer voor de buurt." in built.content.decode()
    assert "Nieuwe omschrijving." in changed.content.decode()
    assert "Huiskamer voor de buurt." not in changed.content.decode()


def test_each_language_has_its_own_page(client: Client, leiden):
    url = reverse("registry:initiatives")

    dutch = client.get(url, HTTP_ACCEPT_LANGUAGE="nl")
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="nl">' in dutch.content.decode()
    assert '<html lang="en">' in english.content.decode()


def test_maintainers_never_get_a_kept_page(client: Client, leiden):
    url = reverse("registry:initiatives")
    client.get(url)  # kept for anonymous visitors
    client.force_login(administrator())

    with CaptureQueriesContext(connection) as signed_in:
        client.get(url)

    tables = " ".join(query["sql"] for query in signed_in.captured_queries)
    assert "registry_initiative" in tables  # built afresh, not read from the cache


def test_a_refused_filter_is_not_kept(client: Client, leiden, settings: Any):
    bad = client.get(reverse("registry:initiatives") + "?province=XX")
    again = client.get(reverse("registry:initiatives") + "?province=XX")

    assert bad.status_code == again.status_code == 400


def test_the_language_switch_needs_no_token_so_every_visitor_can_use_a_kept_page(leiden):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("registry:initiatives"))

    switched = client.post(reverse("set_language"), {"language": "en", "next": "/initiatieven"})

    assert "csrfmiddlewaretoken" not in page.content.decode()
    assert switched.status_code == 302
    assert switched.cookies["django_language"].value == "en"


def test_a_records_page_is_kept_across_other_records_edits_but_follows_its_own(client: Client, leiden, utrecht):
    """A record's page is keyed by the record's own version (its last save, and its prepared
    document's, which follows labels, partners and areas): an edit elsewhere leaves it kept, an edit
    of what it shows makes it anew."""
    from registry.models import Partner, Service

    url = reverse("registry:initiative", args=[leiden.slug])
    client.get(url)
    maintainer = administrator()

    utrecht.short_description = "Elders veranderd."
    actions.save_edit(utrecht, type(utrecht).objects.get(pk=utrecht.pk), acting_user=maintainer)
    with CaptureQueriesContext(connection) as after_other_edit:
        client.get(url)
    assert len(after_other_edit) == 2  # the record's version and the cache entry: kept

    partner = Partner.objects.get(partnerships__initiative=leiden)
    before = Partner.objects.get(pk=partner.pk)
    partner.name = "Fonds Hernoemd"
    actions.save_partner(partner, before, acting_user=maintainer)
    assert "Fonds Hernoemd" in client.get(url).content.decode()

    service = Service.objects.filter(initiatives=leiden).first()
    if service is None:
        service = Service.objects.get(code="ontmoeting")
        leiden.services.add(service)
        actions.save_edit(leiden, type(leiden).objects.get(pk=leiden.pk), acting_user=maintainer)
    service.label_nl = "Anders genoemde dienst"
    actions.save_term(service, acting_user=maintainer)
    assert "Anders genoemde dienst" in client.get(url).content.decode()


def test_the_long_drop_downs_are_kept_per_version_and_follow_a_renamed_partner(client: Client, leiden):
    from registry.models import Partner

    def partner_options(url: str) -> list[str]:
        html = client.get(url).content.decode()
        select = html[html.index('<select name="partner"'):]
        return re.findall(r"<option [^>]*>([^<]*)</option>", select[:select.index("</select>")])

    assert partner_options("/initiatieven") == ["Alle partners", "VSBfonds"]
    with CaptureQueriesContext(connection) as second:
        assert partner_options("/initiatieven?page=1&ordering=name") == ["Alle partners", "VSBfonds"]
    assert not [q for q in second.captured_queries if 'FROM "registry_partner" ' in q["sql"]]

    partner = Partner.objects.get(name="VSBfonds")
    before = Partner.objects.get(pk=partner.pk)
    partner.name = "Fonds Hernoemd"
    actions.save_partner(partner, before, acting_user=administrator())
    assert partner_options("/initiatieven?ordering=name") == ["Alle partners", "Fonds Hernoemd"]


def test_a_list_page_is_kept_across_edits_of_records_it_does_not_show(client: Client, leiden, utrecht,
                                                                        make_initiative):
    """A page of the list is keyed by what it shows (its records and their prepared documents, the
    number found, the filter panel's options), not by the register's version: an edit of a record
    elsewhere leaves it kept; an edit of a record on it, or a record more, makes it anew."""
    url = f"/initiatieven?province={leiden.province.code}"
    assert "Huiskamer voor de buurt." in client.get(url).content.decode()
    maintainer = administrator()

    utrecht.short_description = "Elders veranderd."
    actions.save_edit(utrecht, type(utrecht).objects.get(pk=utrecht.pk), acting_user=maintainer)
    with CaptureQueriesContext(connection) as after_other_edit:
        kept = client.get(url)
    # Kept: the records of the page are looked up, but not read and rendered again.
    assert not [q for q in after_other_edit.captured_queries if "registry_initiative_services" in q["sql"]]
    assert "Huiskamer voor de buurt." in kept.content.decode()

    leiden.short_description = "Nieuwe omschrijving."
    actions.save_edit(leiden, type(leiden).objects.get(pk=leiden.pk), acting_user=maintainer)
    changed = client.get(url).content.decode()
    assert "Nieuwe omschrijving." in changed and "Huiskamer voor de buurt." not in changed

    neighbour = make_initiative(name="Buurthuis Leiden-Noord", short_description="Een tweede in de provincie.")
    actions.save_edit(neighbour, None, acting_user=maintainer)
    actions.publish(neighbour, acting_user=maintainer)
    grown = client.get(url).content.decode()
    assert "Een tweede in de provincie." in grown
    assert re.search(r">\s*2 initiatieven\s*<", grown)
