"""Saved filters: a maintainer names the filter of a list and finds it above that list again; their own
only, and only a filtered list is saved."""

from __future__ import annotations

import pytest
from django.test import Client

from registry.backoffice.models import SavedFilter
from registry.models import Role
from tests.maintainers import maintainer

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_filter_is_saved_found_again_and_deleted(leiden, utrecht):
    user = maintainer("zh", Role.EDITOR, "PV28")
    client = logged_in(user)
    query = "freshness=stale&status__exact=actief&p=2&q=linde"

    page = client.get(f"/admin/registry/initiative/?{query}")
    html = page.content.decode()
    assert 'name="query" value="freshness=stale&amp;q=linde&amp;status__exact=actief"' in html

    response = client.post("/admin/saved-filters/save/", {"list": "registry.initiative", "name": " Te bellen ",
                                                          "query": query}, follow=True)
    saved = SavedFilter.objects.get()
    assert (saved.user, saved.list_name, saved.name, saved.query) == (
        user, "registry.initiative", "Te bellen", "freshness=stale&q=linde&status__exact=actief")
    assert response.redirect_chain == [(f"/admin/registry/initiative/?{saved.query}", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Het filter “Te bellen” is bewaard; u vindt het boven deze lijst."]
    assert f'<a href="/admin/registry/initiative/?{saved.query.replace("&", "&amp;")}" aria-current="true"' \
           in response.content.decode()

    # Only its owner sees it, only on its own list.
    other = logged_in(maintainer("zh2", Role.EDITOR, "PV28"))
    assert "Te bellen" not in other.get("/admin/registry/initiative/?freshness=stale").content.decode()
    assert "Te bellen" not in client.get("/admin/registry/partner/?kind__id__exact=1").content.decode()
    assert other.post(f"/admin/saved-filters/{saved.pk}/delete/").status_code == 404

    client.post(f"/admin/saved-filters/{saved.pk}/delete/")
    assert not SavedFilter.objects.exists()


def test_an_unfiltered_list_or_an_unknown_list_is_not_saved(leiden):
    client = logged_in(maintainer("zh", Role.EDITOR, "PV28"))
    response = client.post("/admin/saved-filters/save/", {"list": "registry.initiative", "name": "Alles",
                                                          "query": "p=3"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Het filter is niet bewaard: Deze lijst is niet gefilterd: er is niets te bewaren."]
    assert client.post("/admin/saved-filters/save/", {"list": "auth.nothing", "name": "x",
                                                      "query": "a=b"}).status_code == 404
    assert client.get("/admin/saved-filters/save/").status_code == 405
    assert not SavedFilter.objects.exists()
