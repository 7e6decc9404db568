"""Verification links: signed, expiring, no login; "still correct" verifies the record at once,
a change or a stop report enters the moderation queue. Handed out by an admin action (e-mail or
CSV) and by a command, each within the maintainer's role and region."""

from __future__ import annotations

import csv
import datetime
import io
import re
import time
from typing import Any
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from registry import actions, verification
from registry.models import (
    Initiative,
    PublicationState,
    Status,
    Suggestion,
    SuggestionKind,
    SuggestionOrigin,
    SuggestionState,
    VerificationMethod,
)
from registry.site import forms
from tests.conftest import LEIDEN, UTRECHT, make
from tests.maintainers import UTRECHT_PROVINCE, administrator, editor, reviewer


@pytest.fixture(autouse=True)
def no_waiting(db, monkeypatch):
    cache.clear()
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)
    yield
    cache.clear()


@pytest.fixture
def client() -> Client:
    """A visitor reading English: the new strings are English until locale/nl has them."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def path_of(initiative: Initiative) -> str:
    url = verification.verification_url(initiative)
    assert url.startswith("http://127.0.0.1:8000/controle/")  # SITE_URL
    return url.removeprefix("http://127.0.0.1:8000")


def made_days_ago(initiative: Initiative, days: float) -> str:
    """A genuine link, signed `days` ago."""
    with mock.patch("django.core.signing.time.time", return_value=time.time() - days * 86400):
        return path_of(initiative)


# -- the link --------------------------------------------------------------------------------------


def test_a_valid_link_shows_the_record_and_still_correct_verifies_it_today(client: Client, leiden):
    path = path_of(leiden)

    page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    # same-origin keeps the secret address from other sites and lets the page's own form send its Origin.
    assert (page["Cache-Control"], page["Referrer-Policy"], page["X-Robots-Tag"]) == ("no-store", "same-origin",
                                                                                      "noindex")
    assert '<h1 class="utrecht-heading-1">Is this still correct?</h1>' in html and "Buurtkamer De Linde" in html
    assert "info@linde.example" in html and "2311 CS Leiden" in html
    assert 'name="confirm"' in html
    assert f'href="{path}/wijziging"' in html and f'href="{path}/gestopt"' in html

    response = client.post(path, {"confirm": "1"})

    assert (response.status_code, response["Location"]) == (302, f"{path}/bevestigd")
    record = Initiative.objects.get(pk=leiden.pk)
    assert (record.last_verified_on, record.verification_method) == (timezone.localdate(), VerificationMethod.SELF)
    latest = record.history.latest()
    assert (latest.history_change_reason, latest.history_user) == ("verified (zelf)", None)
    thanks = client.get(f"{path}/bevestigd").content.decode()
    assert "was checked by the initiative itself on" in thanks
    # Confirming twice on one day records it once.
    versions = record.history.count()
    assert client.post(path, {"confirm": "1"}).status_code == 302
    assert record.history.count() == versions


def test_a_link_to_a_draft_works_and_says_it_is_not_published(client: Client, db):
    draft = make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)

    html = client.get(path_of(draft)).content.decode()

    assert "This record is not published (draft)" in html


def test_an_expired_link_says_so_and_how_to_get_a_new_one(client: Client, leiden, settings):
    settings.VERIFICATION_LINK_DAYS = 60
    almost = client.get(made_days_ago(leiden, 59.9))
    expired = client.get(made_days_ago(leiden, 60.1))
    confirm = client.post(made_days_ago(leiden, 61), {"confirm": "1"})

    assert almost.status_code == 200
    assert (expired.status_code, confirm.status_code) == (410, 410)
    html = expired.content.decode()
    assert '<h1 class="utrecht-heading-1">This link has expired</h1>' in html
    assert "A link to check your record works for 60 days" in html
    assert '<a href="mailto:register@example.org">register@example.org</a>' in html
    assert "Buurtkamer De Linde" not in html
    assert Initiative.objects.get(pk=leiden.pk).last_verified_on == datetime.date(2026, 3, 1)


def test_a_tampered_link_a_forged_one_and_one_of_a_deleted_record_reveal_nothing(client: Client, leiden, utrecht):
    path = path_of(leiden)
    last = path[-1]
    tampered = path[:-1] + ("A" if last != "A" else "B")  # one character of the signature
    other_id = path.replace(f"/controle/{leiden.pk}:", f"/controle/{utrecht.pk}:")  # another record's id
    other_salt = "/controle/" + signing.TimestampSigner(salt="another-purpose").sign(str(leiden.pk))
    gone_path = path_of(utrecht)
    actions.delete(utrecht, acting_user=None)

    responses = [client.get(p) for p in (tampered, other_id, other_salt, gone_path, "/controle/onzin")]

    assert [r.status_code for r in responses] == [404] * 5
    # One and the same page (but for the language switch's token and return address).
    pages = {re.sub(r'name="(csrfmiddlewaretoken|next)" value="[^"]*"', "", r.content.decode()) for r in responses}
    assert len(pages) == 1
    html = responses[0].content.decode()
    assert '<h1 class="utrecht-heading-1">This link does not work</h1>' in html
    assert "Buurtkamer De Linde" not in html and "Energiecoöperatie" not in html
    assert client.post(tampered, {"confirm": "1"}).status_code == 404
    assert client.post(f"{tampered}/gestopt", {"stopped_on": "2026-01-01", "stop_reason": "overig"}).status_code == 404
    assert Initiative.objects.get(pk=leiden.pk).last_verified_on == datetime.date(2026, 3, 1)
    assert Suggestion.objects.count() == 0


def test_a_link_of_a_merged_record_leads_to_the_record_it_was_merged_into(client: Client, leiden):
    twin = make("Buurtkamer de Linde (dubbel)", LEIDEN)
    path = path_of(twin)
    actions.merge(leiden, twin, acting_user=None)

    assert "Buurtkamer De Linde" in client.get(path).content.decode()


# -- changes and stop reports through the link ----------------------------------------------------


def test_something_changed_enters_the_queue_from_the_verification_link(client: Client, leiden):
    path = path_of(leiden)
    form = client.get(f"{path}/wijziging").content.decode()
    assert 'name="phone" value="071 123 4567"' in form

    response = client.post(f"{path}/wijziging", {
        "name": "Buurtkamer De Linde", "kind": "bewonersinitiatief", "services": ["ontmoetingsplek", "wijkrestaurant"],
        "short_description": "Huiskamer voor de buurt, nu ook op zaterdag.", "founded_year": "2015",
        "street": "Breestraat", "house_number": "1", "postcode": "2311 CS", "place": "Leiden",
        "website": "https://linde.example", "email": "info@linde.example", "phone": "071 123 4567",
        "message": "", "submitter_name": "Els", "submitter_email": "els@linde.example", "homepage": "",
        "started": forms.started_token()})

    assert (response.status_code, response["Location"]) == (302, f"{path}/ontvangen")
    suggestion = Suggestion.objects.get()
    assert (suggestion.kind, suggestion.origin, suggestion.state, suggestion.initiative, suggestion.proposed) == (
        SuggestionKind.CORRECTION, SuggestionOrigin.VERIFICATION, SuggestionState.PENDING, leiden,
        {"short_description": "Huiskamer voor de buurt, nu ook op zaterdag."})
    assert Initiative.objects.get(pk=leiden.pk).short_description == "Huiskamer voor de buurt."
    assert "We have received your message" in client.get(f"{path}/ontvangen").content.decode()


def test_we_stopped_enters_the_queue_with_a_date_and_a_reason(client: Client, leiden):
    path = path_of(leiden)
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()

    wrong = client.post(f"{path}/gestopt", {"stopped_on": future, "stop_reason": "", "homepage": "",
                                            "started": forms.started_token()}).content.decode()
    errors = r'<ul class="utrecht-form-field-error-message errorlist" id="id_{}_error"><li>.*?{}</li>'
    assert re.search(errors.format("stopped_on", "The stop date lies in the future."), wrong)
    assert re.search(errors.format("stop_reason", "This field is required."), wrong)
    response = client.post(f"{path}/gestopt", {"stopped_on": "2026-10-31", "stop_reason": "menskracht",
                                               "message": "Geen vrijwilligers meer.", "homepage": "",
                                               "started": forms.started_token()})

    assert (response.status_code, response["Location"]) == (302, f"{path}/ontvangen")
    suggestion = Suggestion.objects.get()
    assert (suggestion.kind, suggestion.origin, suggestion.proposed, suggestion.message) == (
        SuggestionKind.STOPPED, SuggestionOrigin.VERIFICATION,
        {"stopped_on": "2026-10-31", "stop_reason": "menskracht"}, "Geen vrijwilligers meer.")
    assert Initiative.objects.get(pk=leiden.pk).status == Status.ACTIVE
    assert client.get(f"/initiatieven/{leiden.slug}").content.decode().count("Gestopt") == 0


# -- handing links out: the admin actions ---------------------------------------------------------


def admin_action(user: Any, action: str, *initiatives: Initiative) -> Any:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client.post("/admin/registry/initiative/", {
        "action": action, "_selected_action": [i.pk for i in initiatives], "index": "0"}, follow=True)


def test_the_admin_sends_verification_e_mails_in_the_editors_region_and_reports_records_without_address(
        leiden, utrecht):
    silent = make("Buurtkamer Zonder Adres", LEIDEN)

    response = admin_action(editor(), "send_verification_email", leiden, silent, utrecht)

    assert [str(m) for m in response.context["messages"]] == [
        "Verification e-mail sent to 1 initiatives.",
        "Not sent, because the record has no public e-mail address: Buurtkamer Zonder Adres"]
    assert [message.to for message in mail.outbox] == [["info@linde.example"]]
    body = mail.outbox[0].body
    # In the site's default language (Dutch once translated): the name, the link, until when, the contact.
    assert "Buurtkamer De Linde" in mail.outbox[0].subject
    link = re.search(r"http://127\.0\.0\.1:8000(/controle/\S+)", body).group(1)
    assert "Buurtkamer De Linde" in Client().get(link).content.decode()
    valid_until = timezone.localdate() + datetime.timedelta(days=60)
    assert re.search(rf" {valid_until.day} \w+ {valid_until.year}\.", body) and "register@example.org" in body


def test_the_admin_downloads_verification_links_as_csv(leiden, utrecht):
    response = admin_action(administrator(), "download_verification_links", leiden, utrecht)

    # In the import template's form: a byte order mark, semicolons, Dutch headers, CRLF.
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="controlelinks.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffid;naam;email;gemeente;provincie;laatst_gecontroleerd;link;geldig_tot\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == ["id", "naam", "email", "gemeente", "provincie", "laatst_gecontroleerd", "link", "geldig_tot"]
    assert [row[:6] for row in rows[1:]] == [
        [str(leiden.pk), "Buurtkamer De Linde", "info@linde.example", "Leiden", "Zuid-Holland", "2026-03-01"],
        [str(utrecht.pk), "Energiecoöperatie Utrecht", "", "Utrecht", "Utrecht", ""]]
    for row in rows[1:]:
        assert verification.initiative_for(row[6].rsplit("/", 1)[1]).pk == int(row[0])


def test_a_reviewer_cannot_hand_out_links(leiden):
    response = admin_action(reviewer(), "send_verification_email", leiden)

    # Reviewers get no actions at all, so the posted action is not even read: the list comes back.
    assert mail.outbox == []
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == []
    assert "send_verification_email" not in response.content.decode()


# -- handing links out: the command --------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verification_links", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_writes_the_links_of_the_users_region(leiden, utrecht, tmp_path):
    editor("redacteur-zh")
    stale = make("Oud Initiatief Leiden", LEIDEN)  # never verified
    make("Gearchiveerd Leiden", LEIDEN, publication_state=PublicationState.ARCHIVED)
    target = tmp_path / "links.csv"

    out, _ = run("--as", "redacteur-zh", "--output", str(target))
    stale_out, stale_err = run("--as", "redacteur-zh", "--stale")

    assert out.strip() == f"2 links written to {target} (Zuid-Holland)."
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig"), delimiter=";"))
    assert [row["naam"] for row in rows] == ["Buurtkamer De Linde", "Oud Initiatief Leiden"]
    assert verification.initiative_for(rows[0]["link"].rsplit("/", 1)[1]) == leiden
    # Without --output the CSV alone goes to standard output, the summary to standard error.
    assert [row["id"] for row in csv.DictReader(io.StringIO(stale_out.removeprefix("\ufeff")), delimiter=";")] == [
        str(stale.pk)]
    assert stale_err.strip() == "1 links written (Zuid-Holland, stale only)."


def test_the_command_sends_the_links(leiden, utrecht):
    administrator("beheerder")

    out, _ = run("--as", "beheerder", "--send")

    assert out.strip() == (f"1 e-mailed; 1 without a public e-mail address: Energiecoöperatie Utrecht "
                           f"(#{utrecht.pk}) (het hele land).")
    assert [message.to for message in mail.outbox] == [["info@linde.example"]]


def test_the_command_refuses_reviewers_and_unknown_users(leiden):
    reviewer("meelezer")
    editor("redacteur-utrecht", UTRECHT_PROVINCE)

    with pytest.raises(CommandError, match="“meelezer” is a reviewer: a reviewer reads, and changes nothing"):
        run("--as", "meelezer", "--send")
    with pytest.raises(CommandError, match="There is no active user “niemand”"):
        run("--as", "niemand")
    out, _ = run("--as", "redacteur-utrecht", "--send")
    assert out.strip() == "0 e-mailed (Utrecht)."
    assert mail.outbox == []
