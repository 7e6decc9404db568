"""The subscribers' digests: built from the change feed's events of the period, filtered by the
subscription's area, kinds and services; sent once per subscription and period; whole messages."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.gis.geos import Point
from django.core import mail

from geo.models import Municipality, Province
from registry import actions, subscriptions
from registry.models import Frequency, Initiative, Kind, PublicationState, Service, Subscription, SubscriptionDigest
from registry.operations.tasks import run_subscription_digests
from tests.conftest import LEIDEN, UTRECHT, make

MONDAY = datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC)
TUESDAY = datetime.datetime(2026, 3, 3, 10, tzinfo=datetime.UTC)
NEAR_LEIDEN = Point(4.4850, 52.1550, srid=4326)


def subscription(area, frequency: str, language: str, *, kinds=(), services=(), confirmed=True) -> Subscription:
    municipality = area if isinstance(area, Municipality) else None
    made = Subscription.objects.create(
        email=f"{area.code.lower()}-{frequency}-{language}@example.net", language=language, frequency=frequency,
        municipality=municipality, province=None if municipality else area,
        confirmed_at=MONDAY + datetime.timedelta(hours=4) if confirmed else None)
    made.kinds.set(Kind.objects.filter(code__in=kinds))
    made.services.set(Service.objects.filter(code__in=services))
    return made


@pytest.fixture
def changes(db) -> dict[str, Subscription]:
    """A Monday's register and subscriptions (confirmed at noon), and a Tuesday of changes."""
    with time_machine.travel(MONDAY, tick=False):
        linde = make("Buurtkamer De Linde", LEIDEN, kind="bewonersinitiatief", services=["ontmoetingsplek"])
        shop = make("Dorpswinkel Oud Leiden", NEAR_LEIDEN, kind="bewonersbedrijf", services=["winkel"])
        energy = make("Energiecoöperatie Utrecht", UTRECHT, kind="buurtcooperatie", services=["energie"])
    leiden = Municipality.objects.current().get(code="GM0546")
    subscribed = {
        "leiden-daily": subscription(leiden, Frequency.DAILY, "en"),
        "leiden-enterprises-weekly": subscription(leiden, Frequency.WEEKLY, "nl", kinds=["bewonersbedrijf"]),
        "utrecht-energy-daily": subscription(Municipality.objects.current().get(code="GM0344"), Frequency.DAILY,
                                             "en", services=["energie"]),
        "utrecht-shops-daily": subscription(Municipality.objects.current().get(code="GM0344"), Frequency.DAILY,
                                            "en", services=["winkel"]),
        "zuid-holland-unconfirmed": subscription(Province.objects.get(code="PV28"), Frequency.DAILY, "en",
                                                 confirmed=False),
    }
    with time_machine.travel(TUESDAY, tick=False):
        make("Repair Café Leiden", LEIDEN, kind="bewonersinitiatief")
        before = Initiative.objects.get(pk=linde.pk)
        linde.short_description = "Nu ook op zaterdag open."
        actions.save_edit(linde, before, acting_user=None)
        actions.stop(Initiative.objects.get(pk=shop.pk), TUESDAY.date(), "financiering", acting_user=None)
        make("Nog een concept in Leiden", LEIDEN, publication_state=PublicationState.DRAFT)
        before = Initiative.objects.get(pk=energy.pk)
        energy.founded_year = 2018
        actions.save_edit(energy, before, acting_user=None)
        actions.stop_asking(Initiative.objects.get(pk=linde.pk), acting_user=None)  # not a public change
    return subscribed


def test_a_daily_digest_lists_the_days_new_changed_and_stopped_initiatives_of_its_area(changes):
    run_subscription_digests(datetime.date(2026, 3, 4))
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["gm0344-dagelijks-en@example.net", "gm0546-dagelijks-en@example.net"]
    leiden = changes["leiden-daily"]
    message = by_address["gm0546-dagelijks-en@example.net"]
    unsubscribe = subscriptions.unsubscribe_url(leiden)
    assert message.subject == "[Register] 3 changes in the municipality of Leiden, 3 March 2026"
    assert message.body == (
        "Initiatives in the municipality of Leiden that are new, changed or stopped, 3 March 2026:\n"
        "\n"
        "New (1)\n"
        "- Repair Café Leiden (Residents' initiative, Leiden)\n"
        "  http://127.0.0.1:8000/initiatieven/repair-cafe-leiden\n"
        "\n"
        "Changed (1)\n"
        "- Buurtkamer De Linde (Residents' initiative, Leiden)\n"
        "  http://127.0.0.1:8000/initiatieven/buurtkamer-de-linde\n"
        "\n"
        "Stopped (1)\n"
        "- Dorpswinkel Oud Leiden (Resident enterprise, Leiden)\n"
        "  http://127.0.0.1:8000/initiatieven/dorpswinkel-oud-leiden\n"
        "\n"
        "You get this daily e-mail because you subscribed to it on http://127.0.0.1:8000.\n"
        f"Unsubscribe with one click: {unsubscribe}\n"
        "Other choices: subscribe again; the new subscription replaces this one. http://127.0.0.1:8000/volgen\n")
    assert message.extra_headers == {
        "Message-ID": f"<subscription-{leiden.pk}-2026-03-03@example.org>",
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    utrecht = by_address["gm0344-dagelijks-en@example.net"]
    assert utrecht.subject == "[Register] 1 change in the municipality of Utrecht, 3 March 2026"
    assert utrecht.body.splitlines()[:5] == [
        "Initiatives in the municipality of Utrecht that are new, changed or stopped, 3 March 2026:",
        "(services: Energy)",
        "",
        "Changed (1)",
        "- Energiecoöperatie Utrecht (Neighbourhood cooperative, Utrecht)",
    ]
    # Once per subscription and day: the next hour's run sends nothing more.
    run_subscription_digests(datetime.date(2026, 3, 4))
    assert len(mail.outbox) == 2
    assert SubscriptionDigest.objects.filter(period_start=datetime.date(2026, 3, 3)).count() == 2


def test_a_weekly_digest_in_dutch_lists_only_the_kinds_asked_for(changes):
    run_subscription_digests(datetime.date(2026, 3, 9))  # the Monday after: last week's digests
    [message] = mail.outbox
    weekly = changes["leiden-enterprises-weekly"]
    assert message.to == ["gm0546-wekelijks-nl@example.net"]
    assert message.subject == "[Register] 1 wijziging in de gemeente Leiden, 2 maart tot en met 8 maart 2026"
    assert message.body == (
        "Initiatieven in de gemeente Leiden die nieuw zijn, gewijzigd of gestopt, 2 maart tot en met 8 maart 2026:\n"
        "(soorten: Bewonersbedrijf)\n"
        "\n"
        "Gestopt (1)\n"
        "- Dorpswinkel Oud Leiden (Bewonersbedrijf, Leiden)\n"
        "  http://127.0.0.1:8000/initiatieven/dorpswinkel-oud-leiden\n"
        "\n"
        "U krijgt deze wekelijkse e-mail omdat u zich erop hebt geabonneerd op http://127.0.0.1:8000.\n"
        f"Afmelden met één klik: {subscriptions.unsubscribe_url(weekly)}\n"
        "Andere keuzes: abonneer u opnieuw; het nieuwe abonnement vervangt dit. http://127.0.0.1:8000/volgen\n")


def test_changes_before_the_confirmation_are_not_in_the_digest(changes):
    Subscription.objects.filter(pk=changes["leiden-daily"].pk).update(
        confirmed_at=TUESDAY + datetime.timedelta(hours=1))
    run_subscription_digests(datetime.date(2026, 3, 4))
    assert "gm0546-dagelijks-en@example.net" not in [message.to[0] for message in mail.outbox]


def test_a_subscription_that_went_meanwhile_gets_nothing(changes):
    actions.unsubscribe(changes["leiden-daily"], acting_user=None)
    run_subscription_digests(datetime.date(2026, 3, 4))
    assert [message.to[0] for message in mail.outbox] == ["gm0344-dagelijks-en@example.net"]
