"""Every rule lives on the model, so the admin, the API, imports and public forms share it.

Each bad value gives its own clear message on its own field (in Dutch, the default language),
and nothing is saved.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from geo.models import Municipality
from registry.models import Initiative, Partner, PartnerKind, Partnership, PartnershipRole, Status, StopReason

THIS_YEAR = timezone.localdate().year
TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        instance.full_clean()
    return raised.value.message_dict


@pytest.mark.parametrize(("fields", "expected"), [
    ({"postcode": "12345"},
     {"postcode": ["“12345” is geen Nederlandse postcode: verwacht vier cijfers, eventueel gevolgd door twee "
                   "letters, zoals 1234 of 1234 AB."]}),
    ({"postcode": "2311 SS"},
     {"postcode": ["“2311 SS” is geen Nederlandse postcode: de letters SS worden nooit gebruikt."]}),
    ({"kvk_number": "1234567"},
     {"kvk_number": ["Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678; “1234567” niet."]}),
    ({"kvk_number": "12345678a"},
     {"kvk_number": ["Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678; “12345678a” niet.",
                     "Zorg dat deze waarde niet meer dan 8 tekens bevat (het zijn er nu 9)."]}),
    ({"founded_year": 1799},
     {"founded_year": [f"Het oprichtingsjaar moet tussen 1800 en {THIS_YEAR} liggen; 1799 valt daarbuiten."]}),
    ({"founded_year": THIS_YEAR + 1},
     {"founded_year": [f"Het oprichtingsjaar moet tussen 1800 en {THIS_YEAR} liggen; "
                       f"{THIS_YEAR + 1} valt daarbuiten."]}),
    ({"website": "www.dorpshuis.nl"},
     {"website": ["Vul een volledig webadres in dat begint met https:// of http://."]}),
    ({"website": "javascript:alert(1)"},
     {"website": ["Vul een volledig webadres in dat begint met https:// of http://."]}),
    ({"email": "info@"}, {"email": ["Voer een geldig e-mailadres in."]}),
    ({"phone": "bel ons"},
     {"phone": ["“bel ons” is geen telefoonnummer: gebruik 10 cijfers (bijv. 030 123 4567) of +31 en "
                "9 cijfers."]}),
    ({"status": Status.STOPPED},
     {"stopped_on": ["Een gestopt initiatief heeft een stopdatum nodig."],
      "stop_reason": ["Een gestopt initiatief heeft een reden van stoppen nodig (kies “overig” als die "
                      "onbekend is)."]}),
    ({"status": Status.ACTIVE, "stopped_on": datetime.date(2020, 5, 1)},
     {"stopped_on": ["Alleen een gestopt initiatief heeft een stopdatum: zet de status op gestopt of maak de "
                     "datum leeg."]}),
    ({"status": Status.STOPPED, "stopped_on": TOMORROW, "stop_reason": StopReason.FUNDING},
     {"stopped_on": ["De stopdatum ligt in de toekomst."]}),
    ({"status": Status.STOPPED, "stopped_on": datetime.date(2010, 1, 1), "stop_reason": StopReason.PEOPLE,
      "founded_year": 2015},
     {"stopped_on": ["De stopdatum ligt vóór het oprichtingsjaar."]}),
])
def test_each_bad_value_gets_its_own_message_and_nothing_is_saved(make_initiative, fields, expected):
    initiative = make_initiative(**fields)

    assert errors_of(initiative) == expected
    assert Initiative.objects.count() == 0


@pytest.mark.parametrize(("fields", "stored"), [
    ({"postcode": "2311ez"}, {"postcode": "2311 EZ"}),
    ({"postcode": " 2311 "}, {"postcode": "2311"}),
    ({"kvk_number": "1234 5678"}, {"kvk_number": "12345678"}),
    ({"kvk_number": "12.34.56.78"}, {"kvk_number": "12345678"}),
    ({"phone": "+31 71 123 4567"}, {"phone": "+31 71 123 4567"}),
    ({"status": Status.STOPPED, "stopped_on": datetime.date(2023, 3, 1), "stop_reason": StopReason.GOAL_REACHED},
     {"status": "gestopt", "stopped_on": datetime.date(2023, 3, 1), "stop_reason": "doel-bereikt"}),
])
def test_good_values_are_stored_normalised(make_initiative, fields, stored):
    initiative = make_initiative(**fields)
    initiative.full_clean()
    initiative.save()

    saved = Initiative.objects.get(pk=initiative.pk)
    assert {name: getattr(saved, name) for name in stored} == stored


def test_several_bad_values_are_reported_together(make_initiative):
    initiative = make_initiative(postcode="1", kvk_number="1", founded_year=1000, email="x")

    assert sorted(errors_of(initiative)) == ["email", "founded_year", "kvk_number", "postcode"]


def test_the_database_refuses_a_stopped_initiative_without_a_date_that_skipped_validation(make_initiative):
    from django.db import IntegrityError, transaction

    initiative = make_initiative()
    initiative.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Initiative.objects.filter(pk=initiative.pk).update(status=Status.STOPPED)
    assert Initiative.objects.get(pk=initiative.pk).status == Status.ACTIVE


@pytest.mark.django_db
def test_a_municipality_partner_must_name_its_municipality_and_only_it_may():
    municipality_kind = PartnerKind.objects.get(code="gemeente")
    fund_kind = PartnerKind.objects.get(code="vermogensfonds")

    assert errors_of(Partner(name="Gemeente Leiden", kind=municipality_kind)) == {
        "municipality": ["Een partner van de soort gemeente noemt zijn gemeente."]}
    assert errors_of(Partner(name="VSBfonds", kind=fund_kind,
                             municipality=Municipality.objects.get(code="GM0546"))) == {
        "municipality": ["Alleen een partner van de soort gemeente noemt een gemeente."]}
    assert errors_of(Partner(name="Gemeente Leiden", kind=municipality_kind, oin="123",
                             municipality=Municipality.objects.get(code="GM0546"))) == {
        "oin": ["Een OIN heeft precies 20 cijfers; “123” niet."]}
    assert Partner.objects.count() == 0


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2021", "2020", {"end": ["Het einde ligt vóór het begin."]}),
    ("2021-06-01", "2021-05-31", {"end": ["Het einde ligt vóór het begin."]}),
    ("21-3-2020", "", {"start": ["“21-3-2020” is geen jaar (2021) of datum (2021-03-15)."]}),
    ("2021", "2021-02-30", {"end": ["“2021-02-30” is geen jaar (2021) of datum (2021-03-15)."]}),
    ("1492", "", {"start": ["“1492” ligt vóór 1800."]}),
])
def test_a_partnership_period_must_make_sense(make_initiative, start, end, expected):
    initiative = make_initiative()
    initiative.save()
    partner = Partner.objects.create(name="VSBfonds", kind=PartnerKind.objects.get(code="vermogensfonds"))
    partnership = Partnership(initiative=initiative, partner=partner, start=start, end=end,
                              role=PartnershipRole.objects.get(code="financier"))

    assert errors_of(partnership) == expected
    assert Partnership.objects.count() == 0


def test_a_partnership_within_one_year_is_fine_and_the_same_one_twice_is_not(make_initiative):
    initiative = make_initiative()
    initiative.save()
    partner = Partner.objects.create(name="VSBfonds", kind=PartnerKind.objects.get(code="vermogensfonds"))
    role = PartnershipRole.objects.get(code="financier")
    first = Partnership(initiative=initiative, partner=partner, role=role, start="2021-06-01", end="2021")
    first.full_clean()
    first.save()

    again = Partnership(initiative=initiative, partner=partner, role=role, start="2021-06-01")
    assert errors_of(again) == {"__all__": ["Deze partner heeft deze rol al bij dit initiatief vanaf dit begin."]}
