"""The admin speaks Dutch throughout, with English as the second language and a switch on every page;
its header names the register; Django's own messages read as Dutch; a refusal says why."""

from __future__ import annotations

import pytest
from django.test import Client

from registry.models import Role
from tests.maintainers import maintainer
from tests.registry.test_roles import change_form

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_admin_page_names_the_register_and_offers_the_other_language(leiden):
    client = logged_in(maintainer("zh", Role.EDITOR, "PV28"))
    html = client.get(f"/admin/registry/initiative/{leiden.pk}/change/").content.decode()

    assert '<div id="site-name"><a href="/admin/">Register van bewonersinitiatieven</a></div>' in html
    assert "Django" not in html.split("<body", 1)[1].split('id="content-start"')[0]
    assert '<form class="language-switch" action="/i18n/setlang/" method="post">' in html
    assert '<option value="en" lang="en">English</option>' in html
    # The services and funding sources are boxes to tick, labelled in Dutch (not "Choose all voorzieningen").
    assert '<input type="checkbox" name="services"' in html and "Choose all" not in html

    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    english = client.get("/admin/").content.decode()
    assert "<title>Work overview | Register of residents&#x27; initiatives</title>" in english
    assert '<option value="nl" lang="nl">Nederlands</option>' in english


def test_djangos_messages_about_a_saved_record_read_as_dutch(leiden):
    client = logged_in(maintainer("zh", Role.EDITOR, "PV28"))
    response = client.post(f"/admin/registry/initiative/{leiden.pk}/change/", change_form(leiden), follow=True)

    link = f'<a href="/admin/registry/initiative/{leiden.pk}/change/">Buurtkamer De Linde</a>'
    assert [str(m) for m in response.context["messages"]] == [f"initiatief “{link}” is gewijzigd."]
    assert "Initiatief “" in response.content.decode()  # shown with a capital


def test_a_refusal_is_a_dutch_page_with_the_reason(leiden):
    reviewer = logged_in(maintainer("lezer", Role.REVIEWER))
    version = leiden.history.latest()
    response = reviewer.post(f"/admin/registry/initiative/{leiden.pk}/history/{version.history_id}/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "<title>Niet toegestaan | Register van bewonersinitiatieven</title>" in html
    assert "Uw rol of regio staat deze pagina niet toe." in html
