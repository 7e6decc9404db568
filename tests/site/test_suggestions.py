"""The public forms "Meld een initiatief aan" and "Suggest a correction": the model's rules and
messages in the visitor's language, accessible errors, spam protection, and a moderation queue
that keeps every submission off the public site until an editor approves it."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core import mail, signing
from django.core.cache import cache
from django.test import Client, override_settings

from geo.models import Postcode
from registry.models import (
    Initiative,
    PublicationState,
    Status,
    Suggestion,
    SuggestionKind,
    SuggestionOrigin,
    SuggestionState,
)
from registry.site import forms
from tests.conftest import UTRECHT, make
from tests.maintainers import UTRECHT_PROVINCE, administrator, editor, reviewer

# The new strings of these pages are English until locale/nl has them: the tests of their wording
# ask for English pages (EN); Dutch pages are checked for the model's messages, already translated.
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LABEL = '<label class="utrecht-form-label"'
LINK = '<a class="utrecht-link utrecht-link--html-a" href='
REQUIRED = '<span class="required-mark">(required)</span>'


@pytest.fixture(autouse=True)
def no_waiting(db, monkeypatch):
    """Rate-limit counts live in the shared cache; a test client fills a form at once."""
    cache.clear()
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)
    yield
    cache.clear()


def new_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Buurttuin De Vlinder", "kind": "bewonersinitiatief",
        "services": ["gemeenschapstuin", "ontmoetingsplek"],
        "short_description": "Een tuin voor en door de buurt.", "founded_year": "2021", "street": "Breestraat",
        "house_number": "10", "postcode": "2311cs", "place": "Leiden", "website": "vlinder.example",
        "email": "info@vlinder.example", "phone": "071 234 5678", "message": "Gezien in de wijkkrant.",
        "submitter_name": "Jan Jansen", "submitter_email": "jan@example.org", "homepage": "",
        "started": forms.started_token(),
    }
    data.update(overrides)
    return data


def correction_form(initiative: Initiative, **overrides: Any) -> dict[str, Any]:
    """The correction form as the page fills it in (the current public values), with changes."""
    data = {"name": initiative.name, "kind": initiative.kind.code,
            "services": [s.code for s in initiative.services.all()],
            "short_description": initiative.short_description, "founded_year": initiative.founded_year or "",
            "street": initiative.street, "house_number": initiative.house_number, "postcode": initiative.postcode,
            "place": initiative.place, "website": initiative.website, "email": initiative.email,
            "phone": initiative.phone, "message": "", "submitter_name": "", "submitter_email": "", "homepage": "",
            "started": forms.started_token()}
    data.update(overrides)
    return data


def errors_of(html: str, field: str) -> list[str]:
    block = re.search(rf'<ul class="utrecht-form-field-error-message errorlist" id="id_{field}_error">(.*?)</ul>',
                      html, re.S)
    if block is None:
        return []
    return [re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">[^<]*</span>', "", item)).strip()
            for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


def summary_of(html: str) -> list[tuple[str, str]]:
    block = re.search(r'<div class="utrecht-alert utrecht-alert--error error-summary" id="error-summary" role="alert" '
                      r'tabindex="-1"(.*?)</div>',
                      html, re.S)
    assert block is not None, "no error summary"
    return re.findall(r'<li><a class="utrecht-link utrecht-link--html-a" href="#([^"]+)">(.*?)</a></li>',
                      block.group(1))


# -- the form --------------------------------------------------------------------------------------


def test_the_form_has_labels_marks_required_fields_and_hides_the_honeypot(client: Client, db):
    html = client.get("/aanmelden", **EN).content.decode()

    assert '<form method="post" class="public-form" novalidate>' in html
    assert 'name="csrfmiddlewaretoken"' in html
    # Every visible field has a label (or a legend for a group of options).
    for field in ["name", "short_description", "founded_year", "street", "house_number", "postcode", "place",
                  "website", "email", "phone", "message", "submitter_name", "submitter_email"]:
        assert f'{LABEL} for="id_{field}">' in html, field
    assert ('<legend class="utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend">'
            f'Kind {REQUIRED}</legend>') in html
    assert f'{LABEL} for="id_name">Name {REQUIRED}</label>' in html
    assert f'{LABEL} for="id_postcode">Postcode {REQUIRED}</label>' in html
    assert f'{LABEL} for="id_street">Street</label>' in html  # optional: no mark
    # Help text is tied to its field.
    assert re.search(r'<input type="text" name="postcode"[^>]*aria-describedby="id_postcode_helptext"', html)
    assert re.search(r'<input type="email" name="submitter_email"[^>]*aria-describedby="id_submitter_email_helptext"',
                     html)
    assert "never published nor passed on" in html
    # The honeypot: out of sight, out of the tab order, hidden from assistive technology.
    honeypot = re.search(r'<div class="hp" aria-hidden="true">(.*?)</div>', html, re.S).group(1)
    assert re.search(r'<input type="text" name="homepage"[^>]*tabindex="-1"[^>]*autocomplete="off"', honeypot) or \
        re.search(r'<input type="text" name="homepage"[^>]*autocomplete="off"[^>]*tabindex="-1"', honeypot)
    assert "error-summary" not in html


def test_every_page_links_to_the_form(client: Client, leiden):
    for page in ["/", "/initiatieven", "/initiatieven/buurtkamer-de-linde"]:
        assert f'{LINK}"/aanmelden">' in client.get(page).content.decode(), page


ABSENT_PC4 = "8999"  # not in the shipped postcode table


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Dit veld is vereist."),
    ("name", "x" * 201, "Zorg dat deze waarde niet meer dan 200 tekens bevat (het zijn er nu 201)."),
    ("kind", "", "Dit veld is vereist."),
    ("kind", "vliegveld", "Selecteer een geldige keuze. Deze keuze is niet beschikbaar."),
    ("services", ["zwembad"], "Selecteer een geldige keuze. zwembad is geen beschikbare keuze."),
    ("short_description", "x" * 281, "Zorg dat deze waarde niet meer dan 280 tekens bevat (het zijn er nu 281)."),
    ("founded_year", "1700", "Het oprichtingsjaar moet tussen 1800 en 2026 liggen; 1700 valt daarbuiten."),
    ("founded_year", "vorig jaar", "Voer een geheel getal in."),
    ("street", "x" * 201, "Zorg dat deze waarde niet meer dan 200 tekens bevat (het zijn er nu 201)."),
    ("house_number", "1" * 21, "Zorg dat deze waarde niet meer dan 20 tekens bevat (het zijn er nu 21)."),
    ("postcode", "", "Dit veld is vereist."),
    ("postcode", "9999 SS", "“9999 SS” is geen Nederlandse postcode: de letters SS worden nooit gebruikt."),
    ("postcode", "23", "“23” is geen Nederlandse postcode: verwacht vier cijfers, eventueel gevolgd door twee "
                       "letters, zoals 1234 of 1234 AB."),
    ("postcode", f"{ABSENT_PC4} AB", f"Postcode {ABSENT_PC4} staat niet in de postcodetabel."),
    ("place", "x" * 101, "Zorg dat deze waarde niet meer dan 100 tekens bevat (het zijn er nu 101)."),
    ("website", "javascript:alert(1)", "Vul een volledig webadres in dat begint met https:// of http://."),
    ("email", "info@", "Voer een geldig e-mailadres in."),
    ("phone", "123", "“123” is geen telefoonnummer: gebruik 10 cijfers (bijv. 030 123 4567) of +31 en 9 cijfers."),
    ("message", "x" * 2001, "Zorg dat deze waarde niet meer dan 2000 tekens bevat (het zijn er nu 2001)."),
    ("submitter_name", "x" * 201, "Zorg dat deze waarde niet meer dan 200 tekens bevat (het zijn er nu 201)."),
    ("submitter_email", "jan@", "Voer een geldig e-mailadres in."),
])
def test_each_field_is_validated_with_a_dutch_message_tied_to_the_field(client: Client, db, field, value, message):
    response = client.post("/aanmelden", new_form(**{field: value}))

    html = response.content.decode()
    assert response.status_code == 400
    assert errors_of(html, field) == [message]
    # Only this field is wrong: the summary names it alone, and links to it (a group: its first option).
    target = f"id_{field}_0" if field in ("kind", "services") else f"id_{field}"
    before_errors = html.split(f'id="id_{field}_error"')[0].rsplit('utrecht-form-field field', 1)[1]
    label = re.search(rf'<(?:label class="utrecht-form-label" for="id_{field}"|legend [^>]*)>([^<]+?)(?: <span|</)',
                      before_errors).group(1)
    assert summary_of(html) == [(target, f"{label}: {message}")]
    assert html.count('errorlist"') == 1
    title, fresh_title = (re.search(r"<title>(.*?)</title>", page).group(1)
                          for page in (html, client.get("/aanmelden").content.decode()))
    assert title != fresh_title and title.endswith(fresh_title)  # "Error: …" first
    if field not in ("kind", "services"):
        widget = re.search(rf'<(?:input|textarea)[^>]*name="{field}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in widget
        assert re.search(rf'aria-describedby="[^"]*id_{field}_error"', widget)
    else:
        fieldset = re.search(r'<fieldset class="utrecht-form-fieldset utrecht-form-fieldset--html-fieldset '
                             r'utrecht-form-field field has-error" aria-describedby="([^"]*)">\s*'
                             r'<legend class="utrecht-form-fieldset__legend[^"]*">', html)
        assert f"id_{field}_error" in fieldset.group(1).split()
    assert Suggestion.objects.count() == 0 and mail.outbox == []


def test_a_postcode_whose_point_lies_outside_the_netherlands_is_an_error_on_the_postcode(client: Client, db):
    Postcode.objects.create(pc4=ABSENT_PC4, place="Doggersbank", location=Point(3.5, 52.6, srid=4326))

    html = client.post("/aanmelden", new_form(postcode=f"{ABSENT_PC4} AB")).content.decode()

    assert errors_of(html, "postcode") == [
        "Het punt (3.50000, 52.60000) ligt buiten Nederland: meer dan 1 km van elke Nederlandse gemeente. "
        "Controleer of lengte- en breedtegraad niet verwisseld zijn."]


def test_the_messages_are_english_for_an_english_visitor(client: Client, db):
    data = new_form(name="", postcode="9999 SS")
    by_header = client.post("/aanmelden", data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.cookies["django_language"] = "en"
    by_cookie = client.post("/aanmelden", data).content.decode()

    for html in (by_header, by_cookie):
        assert '<html lang="en">' in html
        assert errors_of(html, "name") == ["This field is required."]
        assert errors_of(html, "postcode") == ["“9999 SS” is not a Dutch postcode: the letters SS are never used."]
        assert summary_of(html) == [("id_name", "Name: This field is required."),
                                    ("id_postcode", "Postcode: “9999 SS” is not a Dutch postcode: the letters SS "
                                                    "are never used.")]


def test_the_form_keeps_what_was_typed_after_an_error(client: Client, db):
    html = client.post("/aanmelden", new_form(phone="123")).content.decode()

    assert 'name="name" value="Buurttuin De Vlinder"' in html
    assert re.search(r'<input type="radio" name="kind" value="bewonersinitiatief"[^>]*checked', html)
    assert re.search(r'<input type="checkbox" name="services" value="gemeenschapstuin"[^>]*checked', html)
    assert "Gezien in de wijkkrant.</textarea>" in html


# -- a valid submission ----------------------------------------------------------------------------


def test_a_valid_submission_waits_in_the_queue_and_tells_the_editors_of_its_region_only(
        client: Client, django_capture_on_commit_callbacks):
    editor("redacteur-zh")
    editor("redacteur-zh-stil", notify=False)
    editor("redacteur-zh-zonder-adres", email="")
    editor("redacteur-utrecht", UTRECHT_PROVINCE)
    administrator()  # told only where no editor is
    reviewer("meelezer")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/aanmelden", new_form())

    assert (response.status_code, response["Location"]) == (302, "/aanmelden/bedankt")
    thanks = client.get("/aanmelden/bedankt", **EN).content.decode()
    assert "An editor of the region will review it" in thanks
    suggestion = Suggestion.objects.get()
    assert (suggestion.kind, suggestion.origin, suggestion.state, suggestion.initiative) == (
        SuggestionKind.NEW, SuggestionOrigin.FORM, SuggestionState.PENDING, None)
    assert suggestion.proposed == {
        "name": "Buurttuin De Vlinder", "kind": "bewonersinitiatief",
        "services": ["gemeenschapstuin", "ontmoetingsplek"],
        "short_description": "Een tuin voor en door de buurt.", "founded_year": 2021, "street": "Breestraat",
        "house_number": "10", "postcode": "2311 CS", "place": "Leiden", "website": "https://vlinder.example",
        "email": "info@vlinder.example", "phone": "071 234 5678"}
    assert (suggestion.municipality.code, suggestion.province.code) == ("GM0546", "PV28")
    assert (suggestion.message, suggestion.submitter_name, suggestion.submitter_email) == (
        "Gezien in de wijkkrant.", "Jan Jansen", "jan@example.org")

    assert [message.to for message in mail.outbox] == [["redacteur-zh@example.org"]]
    message = mail.outbox[0]
    # In the site's default language (Dutch once translated): the kind, the name and the region.
    assert re.fullmatch(r"\[Register\] \w[\w ]+: Buurttuin De Vlinder \(Leiden, Zuid-Holland\)", message.subject)
    assert f"http://127.0.0.1:8000/admin/registry/suggestion/{suggestion.pk}/change/" in message.body
    assert "http://127.0.0.1:8000/admin/registry/suggestion/" in message.body
    assert "jan@example.org" not in message.body and "Jan Jansen" not in message.body


def test_without_an_editor_in_the_region_the_administrators_are_told(client: Client,
                                                                     django_capture_on_commit_callbacks):
    editor("redacteur-utrecht", UTRECHT_PROVINCE)
    administrator("beheerder")
    administrator("beheerder-stil", notify=False)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/aanmelden", new_form())

    assert [message.to for message in mail.outbox] == [["beheerder@example.org"]]


def test_a_failing_mail_server_loses_no_submission(client: Client, django_capture_on_commit_callbacks, caplog,
                                                   monkeypatch):
    editor("redacteur-zh")

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/aanmelden", new_form())

    assert response.status_code == 302
    assert Suggestion.objects.count() == 1
    assert "the e-mail to the editors could not be sent" in caplog.text


def test_a_pending_new_initiative_is_nowhere_public(client: Client, leiden):
    client.post("/aanmelden", new_form())
    assert Suggestion.objects.filter(state=SuggestionState.PENDING).count() == 1

    assert "Buurttuin De Vlinder" not in client.get("/initiatieven").content.decode()
    assert "Buurttuin De Vlinder" not in client.get("/initiatieven?q=Vlinder").content.decode()
    assert client.get("/initiatieven/buurttuin-de-vlinder").status_code == 404
    api = client.get("/api/v1/initiatives").json()
    assert [row["name"] for row in api["results"]] == ["Buurtkamer De Linde"]
    features = json.loads(client.get("/api/v1/initiatives/map").content)["features"]
    assert [feature["properties"]["name"] for feature in features] == ["Buurtkamer De Linde"]
    assert Initiative.objects.count() == 1


# -- a correction --------------------------------------------------------------------------------


def test_the_correction_form_shows_the_current_public_values(client: Client, leiden):
    detail = client.get("/initiatieven/buurtkamer-de-linde", **EN).content.decode()
    assert f'{LINK}"/initiatieven/buurtkamer-de-linde/correctie">Suggest a correction</a>' in detail

    html = client.get("/initiatieven/buurtkamer-de-linde/correctie").content.decode()

    assert 'href="/initiatieven/buurtkamer-de-linde">Buurtkamer De Linde</a>' in html
    for fragment in ['name="name" value="Buurtkamer De Linde"', 'name="postcode" value="2311 CS"',
                     'name="phone" value="071 123 4567"', 'name="founded_year" value="2015"',
                     'name="website" value="https://linde.example"', "Huiskamer voor de buurt.</textarea>"]:
        assert fragment in html, fragment
    assert re.search(r'<input type="radio" name="kind" value="bewonersinitiatief"[^>]*checked', html)
    checked = re.findall(r'<input type="checkbox" name="services" value="([^"]+)"[^>]*checked', html)
    assert checked == ["ontmoetingsplek", "wijkrestaurant"]


def test_a_correction_holds_only_what_changed_and_changes_nothing_public(client: Client, leiden):
    response = client.post("/initiatieven/buurtkamer-de-linde/correctie", correction_form(
        leiden, phone="071 999 8888", postcode="2311cs", services=["ontmoetingsplek"],
        message="Het nummer is veranderd.", submitter_email="buur@example.org"))

    assert (response.status_code, response["Location"]) == (
        302, "/initiatieven/buurtkamer-de-linde/correctie/bedankt")
    suggestion = Suggestion.objects.get()
    assert (suggestion.kind, suggestion.initiative, suggestion.state) == (
        SuggestionKind.CORRECTION, leiden, SuggestionState.PENDING)
    # The postcode typed differently is the same postcode: not a change.
    assert suggestion.proposed == {"phone": "071 999 8888", "services": ["ontmoetingsplek"]}
    assert (suggestion.municipality.code, suggestion.province.code) == ("GM0546", "PV28")
    detail = client.get("/initiatieven/buurtkamer-de-linde").content.decode()
    assert "071 123 4567" in detail and "071 999 8888" not in detail
    assert "Wijkrestaurant" in detail
    api = client.get(f"/api/v1/initiatives/{leiden.pk}").json()
    assert api["phone"] == "071 123 4567" and len(api["services"]) == 2
    assert "buur@example.org" not in detail


def test_a_correction_without_a_change_or_a_message_is_refused(client: Client, leiden):
    html = client.post("/initiatieven/buurtkamer-de-linde/correctie", correction_form(leiden), **EN).content.decode()

    assert "Nothing was changed: change a value, or write what is wrong in the message." in html
    assert Suggestion.objects.count() == 0
    # A message alone is a suggestion.
    client.post("/initiatieven/buurtkamer-de-linde/correctie",
                correction_form(leiden, message="De soep is op dinsdag."))
    assert Suggestion.objects.get().proposed == {}


def test_a_correction_is_validated_by_the_model_with_the_record_as_it_is(client: Client, leiden):
    leiden.status, leiden.stopped_on, leiden.stop_reason = Status.STOPPED, datetime.date(2024, 5, 1), "overig"
    leiden.save()

    html = client.post("/initiatieven/buurtkamer-de-linde/correctie",
                       correction_form(leiden, founded_year="2025")).content.decode()

    # The rule is on the stop date (not in this form): it is shown above the form, in Dutch.
    assert re.search(r"<li>Gestopt op: De stopdatum ligt vóór het oprichtingsjaar.</li>", html)
    assert Suggestion.objects.count() == 0


def test_only_published_initiatives_take_corrections_and_old_slugs_redirect(client: Client, leiden):
    draft = make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)
    leiden.slug = "huiskamer-de-linde"
    leiden.save()

    assert client.get(f"/initiatieven/{draft.slug}/correctie").status_code == 404
    old = client.get("/initiatieven/buurtkamer-de-linde/correctie")
    assert (old.status_code, old["Location"]) == (301, "/initiatieven/huiskamer-de-linde/correctie")


# -- spam ------------------------------------------------------------------------------------------


def test_a_filled_in_honeypot_is_thanked_and_dropped(client: Client, django_capture_on_commit_callbacks):
    editor("redacteur-zh")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/aanmelden", new_form(homepage="https://spam.example"))

    assert (response.status_code, response["Location"]) == (302, "/aanmelden/bedankt")
    assert Suggestion.objects.count() == 0 and mail.outbox == []


@override_settings(SUGGESTIONS_PER_HOUR=2)
def test_an_address_may_send_a_few_suggestions_an_hour(client: Client, db):
    assert client.post("/aanmelden", new_form(name="Fout", phone="1")).status_code == 400  # a mistake: not counted
    assert client.post("/aanmelden", new_form(name="Een")).status_code == 302
    assert client.post("/aanmelden", new_form(name="Twee", homepage="spam")).status_code == 302  # counts too

    refused = client.post("/aanmelden", new_form(name="Drie"), **EN)

    assert refused.status_code == 429
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    html = refused.content.decode()
    assert "We accept 2 suggestions an hour from one address" in html
    assert re.search(r"You can send the next one after \d\d:\d\d \(in 60 minutes\)\.", html)
    # Another address may; a forged X-Forwarded-For does not make another address.
    assert client.post("/aanmelden", new_form(name="Vier"), REMOTE_ADDR="192.0.2.7").status_code == 302
    assert client.post("/aanmelden", new_form(name="Vijf"), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert sorted(Suggestion.objects.values_list("proposed__name", flat=True)) == ["Een", "Vier"]


@override_settings(SUGGESTIONS_PER_HOUR=1, REST_FRAMEWORK={"NUM_PROXIES": 1})
def test_behind_a_proxy_the_address_it_saw_counts(client: Client, db):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert client.post("/aanmelden", new_form(), HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 302
    assert client.post("/aanmelden", new_form(), HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 429
    assert client.post("/aanmelden", new_form(), HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy).status_code == 302


def test_a_form_sent_faster_than_a_person_types_is_refused(client: Client, db, monkeypatch):
    monkeypatch.setattr(forms, "FILL_SECONDS", 3)
    fast = client.post("/aanmelden", new_form(), **EN)
    forged = client.post("/aanmelden", new_form(started=signing.dumps(0.0, salt="another salt")), **EN)

    assert fast.status_code == 400 and forged.status_code == 400
    assert "That was very fast; please check the form and send it again." in fast.content.decode()
    assert "Something went wrong with this form" in forged.content.decode()
    assert Suggestion.objects.count() == 0
    # Sent again with the page's own time stamp, now old enough, it is taken.
    started = re.search(r'name="started" value="([^"]+)"', fast.content.decode()).group(1)
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)
    assert client.post("/aanmelden", new_form(started=started)).status_code == 302


def test_the_forms_need_the_csrf_token(db):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/aanmelden", new_form()).status_code == 403
    assert Suggestion.objects.count() == 0


# -- stale records on the site ---------------------------------------------------------------------


def test_stale_records_are_marked_on_the_detail_and_list_pages(client: Client, leiden, utrecht):
    old = make("Repair Café Oud", UTRECHT, last_verified_on=datetime.date(2025, 6, 1), verification_method="e-mail")
    stopped = make("Gestopt Initiatief", UTRECHT, status=Status.STOPPED, stopped_on=datetime.date(2024, 1, 1),
                   stop_reason="menskracht")

    client.cookies["django_language"] = "en"
    never = client.get(f"/initiatieven/{utrecht.slug}").content.decode()
    since = client.get(f"/initiatieven/{old.slug}").content.decode()
    fresh = client.get(f"/initiatieven/{leiden.slug}").content.decode()
    ended = client.get(f"/initiatieven/{stopped.slug}").content.decode()
    listing = client.get("/initiatieven").content.decode()

    notice = (r'<div class="utrecht-alert utrecht-alert--warning stale-notice"><div class="utrecht-alert__content">\s*'
              r'<p class="utrecht-paragraph utrecht-alert__message"><strong>')
    assert re.search(notice + r'Never verified:</strong>\s*this information may be out of date.\s*'
                     rf'<a class="utrecht-link utrecht-link--html-a" href="/initiatieven/{utrecht.slug}/correctie">',
                     never)
    assert re.search(notice + "Not verified since 1 June 2025:</strong>", since)
    assert "stale-notice" not in fresh and "stale-notice" not in ended
    marks = dict(re.findall(r'<h2 class="utrecht-heading-2"><a class="utrecht-link utrecht-link--html-a" '
                            r'href="/initiatieven/([^"]+)">.*?</h2>\s*<p class="utrecht-paragraph">[^\n]*?'
                            r'(?:<span class="stale-mark">([^<]+)</span>)?</p>', listing, re.S))
    assert marks == {leiden.slug: "", utrecht.slug: "Never verified", old.slug: "Not verified since 1 June 2025",
                     stopped.slug: ""}
    assert "stale" not in client.get("/").content.decode()
